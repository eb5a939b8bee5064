import re

import pytest
from django.urls import reverse
from django_countries.widgets import LazySelect, LazySelectMultiple

from apps.core.widgets import CountrySelect, CountrySelectMultiple
from apps.subprocessors.models import Subprocessor, Transfer
from tests import factories


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize(
    ("model", "name", "django_widget", "ours", "value"),
    [
        (Transfer, "destination_country", LazySelect, CountrySelect, "US"),
        (Transfer, "destination_country", LazySelect, CountrySelect, ""),
        (Subprocessor, "processing_locations", LazySelectMultiple, CountrySelectMultiple, ["US"]),
        (Subprocessor, "processing_locations", LazySelectMultiple, CountrySelectMultiple, []),
    ],
)
def test_country_selects_write_the_same_markup_as_django(model, name, django_widget, ours, value):
    field = model._meta.get_field(name)
    expected = field.formfield(widget=django_widget).widget.render(name, value, {"id": "id_x"})
    written = field.formfield(widget=ours).widget.render(name, value, {"id": "id_x"})
    assert normalised(written) == normalised(expected)


def test_admin_country_fields_and_inline_rows_use_the_written_selects(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    transfer = factories.TransferFactory()
    response = client.get(
        reverse("admin:subprocessors_subprocessor_change", args=[transfer.subprocessor_id])
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert isinstance(form.fields["processing_locations"].widget, CountrySelectMultiple)
    inline_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    widget = inline_form.fields["destination_country"].widget
    assert isinstance(getattr(widget, "widget", widget), CountrySelect)
    assert f'value="{transfer.destination_country.code}" selected' in response.content.decode()
