from import_export import fields, widgets

from apps.core.resources import CountriesWidget, CountryWidget, NamesWidget, RegisterResource
from apps.data_categories.models import DataCategory
from apps.subprocessors.models import Subprocessor, Transfer


class SubprocessorResource(RegisterResource):
    processing_locations = fields.Field(
        attribute="processing_locations",
        column_name="processing_locations",
        widget=CountriesWidget(),
    )
    data_categories = fields.Field(
        attribute="data_categories",
        column_name="data_categories",
        widget=NamesWidget(DataCategory),
    )

    class Meta:
        model = Subprocessor
        fields = (
            "name",
            "legal_entity",
            "service",
            "website",
            "data_categories",
            "processing_locations",
            "status",
            "engaged_on",
            "retired_on",
            "dpa_signed_on",
            "dpa_expires_on",
            "certifications",
        )
        export_order = fields
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def export_queryset(self, queryset):
        return queryset.prefetch_related("data_categories")


class TransferResource(RegisterResource):
    """Export only."""

    subprocessor = fields.Field(
        attribute="subprocessor",
        column_name="subprocessor",
        widget=widgets.ForeignKeyWidget(Subprocessor, field="name"),
    )
    destination_country = fields.Field(
        attribute="destination_country", column_name="destination_country", widget=CountryWidget()
    )

    class Meta:
        model = Transfer
        fields = (
            "subprocessor",
            "destination_country",
            "mechanism",
            "scc_module",
            "document_reference",
            "tia_completed_on",
            "notes",
        )
        export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("subprocessor")
