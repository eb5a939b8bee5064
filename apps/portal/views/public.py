"""Public pages: the list of active subprocessors and their announced changes (DPA clause 5),
as HTML, JSON and an Atom feed. No login."""

from django.contrib.syndication.views import Feed
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from apps.processors.models import Processor
from apps.subprocessors.selectors import (
    subprocessor_active_list,
    subprocessor_changes_published,
    subprocessor_changes_upcoming,
)


def _processor():
    return Processor.objects.order_by("pk").first()


def subprocessor_list(request):
    return render(
        request,
        "portal/public_subprocessors.html",
        {
            "processor": _processor(),
            "subprocessors": subprocessor_active_list(),
            "changes": subprocessor_changes_upcoming(),
        },
    )


def _change_json(change) -> dict:
    return {
        "id": change.pk,
        "kind": change.kind,
        "kind_label": change.get_kind_display(),
        "subprocessor": change.subprocessor.name,
        "replaces": change.replaces.name if change.replaces else None,
        "description": change.description,
        "announced_at": change.announced_at.isoformat(),
        "effective_at": change.effective_at.isoformat(),
    }


def subprocessor_json(request):
    processor = _processor()
    data = {
        "processor": processor.name if processor else None,
        "generated_at": timezone.now().isoformat(),
        "subprocessors": [
            {
                "name": sub.name,
                "legal_entity": sub.legal_entity,
                "service": sub.service,
                "processing_locations": [
                    {"code": c.code, "name": c.name} for c in sub.processing_locations
                ],
                "transfers": [
                    {
                        "destination_country": {
                            "code": t.destination_country.code,
                            "name": t.destination_country.name,
                        },
                        "mechanism": t.mechanism,
                        "mechanism_label": t.get_mechanism_display(),
                        "scc_module": t.scc_module or None,
                    }
                    for t in sub.transfers.all()
                ],
                "engaged_on": sub.engaged_on.isoformat() if sub.engaged_on else None,
                "certifications": sub.certifications,
                "website": sub.website,
            }
            for sub in subprocessor_active_list()
        ],
        "upcoming_changes": [_change_json(c) for c in subprocessor_changes_upcoming()],
    }
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    # Public data: other sites may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


class SubprocessorChangesFeed(Feed):
    feed_type = Atom1Feed
    title = "Subprocessor changes"
    link = reverse_lazy("public:subprocessor_list")
    subtitle = "Additions, replacements and removals of subprocessors, announced before they apply."

    def items(self):
        return subprocessor_changes_published()[:50]

    def item_title(self, item):
        return f"{item} ({item.get_status_display().lower()})"

    def item_description(self, item):
        return item.description

    def item_link(self, item):
        return f"{reverse('public:subprocessor_list')}#change-{item.pk}"

    def item_pubdate(self, item):
        return item.announced_at

    def item_updateddate(self, item):
        return item.updated_at
