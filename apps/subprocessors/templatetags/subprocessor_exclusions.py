"""A controller's objections in templates: the consequences of the upheld ones for the record
of processing, whose template belongs to a floor below this one (apps.processors) and loads them
by name, and the lookups the portal's subprocessor page makes."""

from dataclasses import dataclass, field

from django import template

from apps.subprocessors.models import Objection
from apps.subprocessors.selectors import objections_of

register = template.Library()


@dataclass
class UpheldObjections:
    # Subprocessor id → the upheld objection that leaves it out of the controller's processing.
    excluded: dict[int, Objection] = field(default_factory=dict)
    # Each upheld objection with what it changes, in the customer's words.
    consequences: list[tuple[Objection, str]] = field(default_factory=list)


@register.simple_tag
def upheld_objections_of(controller) -> UpheldObjections:
    """`controller`'s upheld objections (one query); none for the record of every controller."""
    outcome = UpheldObjections()
    if controller is None:
        return outcome
    for objection in objections_of(controller=controller).filter(status=Objection.Status.UPHELD):
        outcome.consequences.append((objection, objection.consequence_text))
        if objection.excludes_subprocessor:
            outcome.excluded[objection.change.subprocessor_id] = objection
    return outcome


@register.filter
def excluded_by(excluded: dict[int, Objection] | None, subprocessor) -> Objection | None:
    """The upheld objection, in `excluded` (subprocessor id → objection), by which
    `subprocessor` is not used, if any."""
    return (excluded or {}).get(subprocessor.pk)


@register.filter
def objection_for(by_change: dict[int, Objection] | None, change) -> Objection | None:
    """The organisation's objection to `change`, from `by_change` (change id → objection)."""
    return (by_change or {}).get(change.pk)
