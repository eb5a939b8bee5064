from import_export import fields, widgets

from apps.accounts.models import User
from apps.controllers.models import Controller
from apps.core.resources import NamesWidget, RegisterResource, StrictBooleanWidget
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.processors.models import ProcessingActivity, Processor, SecurityMeasure
from apps.processors.selectors import activity_controllers_visible_to


class SecurityMeasureResource(RegisterResource):
    owner = fields.Field(
        attribute="owner",
        column_name="owner",
        widget=widgets.ForeignKeyWidget(User, field="email"),
    )

    class Meta:
        model = SecurityMeasure
        fields = ("name", "category", "description", "scope", "owner", "last_reviewed_on")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def export_queryset(self, queryset):
        return queryset.select_related("owner")


class ProcessingActivityResource(RegisterResource):
    """Export only: the record's entries go through the review cycle, not a spreadsheet.

    `visible_controller` is the customer who reads the export: the `controllers` column then
    names only that customer, never the others an activity also covers. Staff exports (the
    admin) leave it None and see every controller.
    """

    processor = fields.Field(
        attribute="processor",
        column_name="processor",
        widget=widgets.ForeignKeyWidget(Processor, field="name"),
    )
    data_categories = fields.Field(
        attribute="data_categories",
        column_name="data_categories",
        widget=NamesWidget(DataCategory),
    )
    data_subject_categories = fields.Field(
        attribute="data_subject_categories",
        column_name="data_subject_categories",
        widget=NamesWidget(DataSubjectCategory),
    )
    subprocessors = fields.Field(
        attribute="subprocessors",
        column_name="subprocessors",
        widget=NamesWidget(
            # The subprocessor model as the activity names it (subprocessors sit above this app).
            ProcessingActivity._meta.get_field("subprocessors").related_model
        ),
    )
    security_measures = fields.Field(
        attribute="security_measures",
        column_name="security_measures",
        widget=NamesWidget(SecurityMeasure),
    )
    covers_all_controllers = fields.Field(
        attribute="covers_all_controllers",
        column_name="covers_all_controllers",
        widget=StrictBooleanWidget(),
    )
    controllers = fields.Field(column_name="controllers")
    approved_by = fields.Field(
        attribute="approved_by",
        column_name="approved_by",
        widget=widgets.ForeignKeyWidget(User, field="email"),
    )

    class Meta:
        model = ProcessingActivity
        fields = (
            "name",
            "processor",
            "category",
            "description",
            "purpose",
            "data_categories",
            "data_subject_categories",
            "subprocessors",
            "security_measures",
            "retention",
            "instruction",
            "covers_all_controllers",
            "controllers",
            "status",
            "approved_by",
            "approved_at",
            "next_review_on",
        )
        export_order = fields
        import_id_fields = ("name",)

    def __init__(self, *, visible_controller: Controller | None = None, **kwargs):
        super().__init__(**kwargs)
        self.visible_controller = visible_controller

    def dehydrate_controllers(self, activity):
        controllers = activity.controllers.all()
        if self.visible_controller is not None:
            # The prefetch holds only the reader already; this keeps it so without one.
            controllers = [c for c in controllers if c.pk == self.visible_controller.pk]
        return "; ".join(c.legal_name for c in controllers)

    def export_queryset(self, queryset):
        return queryset.select_related("processor", "approved_by").prefetch_related(
            "data_categories",
            "data_subject_categories",
            "subprocessors",
            "security_measures",
            activity_controllers_visible_to(visible_controller=self.visible_controller),
        )
