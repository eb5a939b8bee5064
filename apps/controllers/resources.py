from import_export import fields

from apps.controllers.models import Controller
from apps.core.resources import CountryWidget, RegisterResource


class ControllerResource(RegisterResource):
    country = fields.Field(attribute="country", column_name="country", widget=CountryWidget())

    class Meta:
        model = Controller
        fields = (
            "legal_name",
            "registration_number",
            "address",
            "country",
            "contact_name",
            "contact_email",
            "dpo_name",
            "dpo_email",
            "eu_representative",
            "dpa_version",
            "dpa_accepted_on",
            "status",
            "terminated_on",
        )
        import_id_fields = ("legal_name",)
