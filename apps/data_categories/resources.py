from import_export import fields

from apps.core.resources import RegisterResource, StrictBooleanWidget
from apps.data_categories.models import DataCategory, DataSubjectCategory


class DataCategoryResource(RegisterResource):
    is_special_category = fields.Field(
        attribute="is_special_category",
        column_name="is_special_category",
        widget=StrictBooleanWidget(),
    )
    is_criminal_data = fields.Field(
        attribute="is_criminal_data", column_name="is_criminal_data", widget=StrictBooleanWidget()
    )

    class Meta:
        model = DataCategory
        fields = ("name", "description", "is_special_category", "is_criminal_data", "retention")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class DataSubjectCategoryResource(RegisterResource):
    class Meta:
        model = DataSubjectCategory
        fields = ("name", "description")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
