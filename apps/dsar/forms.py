from typing import cast

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import User
from apps.dsar.models import DsarPropagation, DsarTicket
from apps.dsar.services import dsar_extension_check, dsar_transition_check
from apps.dsar.uploads import check_upload


def staff_users():
    return User.objects.filter(is_staff=True, is_active=True).order_by("email")


class DsarTicketAdminForm(forms.ModelForm):
    """The admin's ticket form. On a new ticket it takes what the customer told us; on an
    existing one the workflow fields below, each carried out by its service in save_model.
    Checks run here too, so that a refused move comes back as a form error."""

    move_to = forms.ChoiceField(
        label="Move to", required=False, choices=[("", "(keep status)")] + DsarTicket.Status.choices
    )
    move_rejection_reason = forms.ChoiceField(
        label="Rejection reason",
        required=False,
        choices=[("", "---------")] + DsarTicket.RejectionReason.choices,
    )
    move_note = forms.CharField(
        label="Note on the move (shown to the customer)", required=False, widget=forms.Textarea
    )
    extend_to_months = forms.TypedChoiceField(
        label="Extend by",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "(no change)"), (1, "1 month"), (2, "2 months")],
    )
    extend_reason = forms.CharField(label="Extension reason", required=False, widget=forms.Textarea)
    reply_body = forms.CharField(label="Add to timeline", required=False, widget=forms.Textarea)
    reply_visible_to_customer = forms.BooleanField(
        label="Reply visible to the customer (otherwise an internal note)", required=False
    )
    attachment_upload = forms.FileField(
        label="Attach a file",
        required=False,
        help_text="PDF, ZIP, CSV, JSON, TXT, PNG or JPEG; stored privately under a random name.",
    )
    attachment_visible_to_customer = forms.BooleanField(
        label="File visible to the customer", required=False
    )

    class Meta:
        model = DsarTicket
        fields = [
            "controller",
            "request_type",
            "data_subject_identifier",
            "received_at",
            "details",
            "assignee",
            "resolution",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = staff_users()
        if "received_at" in self.fields:
            # Read in the reader's zone, which the middleware activated.
            self.fields["received_at"].help_text = (
                f"In your time zone, {timezone.get_current_timezone_name()}. The deadline is "
                "counted from this day where the controller is."
            )

    def clean_received_at(self):
        received_at = self.cleaned_data.get("received_at")
        if received_at and received_at > timezone.now():
            raise ValidationError("The date of receipt cannot be in the future.")
        return received_at

    def clean_attachment_upload(self):
        upload = self.cleaned_data.get("attachment_upload")
        if upload:
            check_upload(upload)
        return upload

    def propagation_statuses_posted(self) -> dict[int, str]:
        """The statuses the propagation rows on the same page set (id to status).

        The admin saves those rows before the status move (save_related), so a ticket can be
        completed in the same submission that marks its last pending propagation done. Rows that
        fail their own validation stop the whole save, so reading them raw here is safe.
        """
        prefix = DsarPropagation._meta.get_field("ticket").remote_field.related_name
        try:
            total = int(self.data.get(f"{prefix}-TOTAL_FORMS") or 0)
        except ValueError:
            return {}
        statuses = {}
        for i in range(min(total, 1000)):
            pk, status = self.data.get(f"{prefix}-{i}-id"), self.data.get(f"{prefix}-{i}-status")
            if str(pk).isdigit() and status in DsarPropagation.Status.values:
                statuses[int(str(pk))] = status
        return statuses

    def clean(self):
        super().clean()
        data = self.cleaned_data
        ticket = self.instance
        if ticket.pk is None:
            return data
        # The instance may hold this form's edits already; checks run against the stored row.
        stored = DsarTicket.objects.get(pk=ticket.pk)
        if data.get("move_to"):
            try:
                dsar_transition_check(
                    ticket=stored,
                    to=data["move_to"],
                    rejection_reason=data.get("move_rejection_reason") or "",
                    propagation_statuses=self.propagation_statuses_posted(),
                )
            except ValidationError as error:
                self.add_error("move_to", error)
        if data.get("extend_to_months"):
            try:
                dsar_extension_check(
                    ticket=stored,
                    months=data["extend_to_months"],
                    reason=data.get("extend_reason") or "",
                )
            except ValidationError as error:
                self.add_error("extend_to_months", error)
        return data


class DsarPropagationInlineForm(forms.ModelForm):
    class Meta:
        model = DsarPropagation
        fields = ["status", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A tabular row has column headings but no labels: name each input after its row.
        if self.instance.pk is not None:
            name = self.instance.subprocessor.name
            self.fields["status"].widget.attrs["aria-label"] = f"Propagation to {name}: status"
            self.fields["note"].widget.attrs["aria-label"] = f"Propagation to {name}: note"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("status") == DsarPropagation.Status.REFUSED and not data.get("note"):
            self.add_error("note", "Say why the subprocessor refused.")
        return data


class AssignActionForm(ActionForm):
    assignee = forms.ModelChoiceField(
        queryset=staff_users(), required=False, label="Assign to", empty_label="(choose)"
    )


# --- the customer portal ----------------------------------------------------------------------


class ErasureCheckForm(forms.Form):
    """An identifier to check against an erased ticket's keyed hash; kept nowhere."""

    identifier = forms.CharField(
        label="Identifier",
        max_length=200,
        error_messages={"required": "Type the identifier to check."},
        help_text="As the customer's app knows the person (user id or e-mail). Case and "
        "surrounding spaces do not matter.",
    )
