from django.apps import AppConfig


class DataCategoriesConfig(AppConfig):
    name = "apps.data_categories"
    label = "data_categories"
    verbose_name = "Data and data-subject categories"
