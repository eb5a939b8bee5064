"""State machines: one table of allowed moves per model, and the one way to make a move.

A domain app builds its workflow once, in its services, and every door goes through it:

    DSAR_WORKFLOW = Workflow(DsarTicket, {Status.NEW: {Status.IN_PROGRESS, ...}, ...})
    DSAR_WORKFLOW.check(ticket, to)                  # a form showing why a move is refused
    DSAR_WORKFLOW.move(ticket, to, by=user, reason="dsar.ticket.in_progress")

Every refused move reads the same: "DSAR-2026-0001 cannot go from new to completed.", or,
repeated, "DSAR-2026-0001 is already completed."
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction

from apps.core.history import history_save

M = TypeVar("M", bound=models.Model)


class Workflow(Generic[M]):
    """The allowed moves of one status field of `model`: {from status: {to status, ...}}.

    Every status the field offers is a key (a final one maps to nothing), so a status left out
    of the table is an error when the app loads, not a KeyError in a request.
    `name` says how a refusal names the object (default "This <verbose name>").
    """

    def __init__(
        self,
        model: type[M],
        moves: Mapping[str, Iterable[str]],
        *,
        field: str = "status",
        name: Callable[[M], str] | None = None,
    ) -> None:
        self.model = model
        self.field = field
        self.moves: dict[str, frozenset[str]] = {
            status: frozenset(targets) for status, targets in moves.items()
        }
        self._name = name
        status_field = model._meta.get_field(field)
        if not isinstance(status_field, models.Field):
            raise ImproperlyConfigured(f"{model._meta.label}.{field} is not a status field.")
        self._labels = {str(value): str(label) for value, label in status_field.flatchoices}
        missing = set(self._labels) - set(self.moves)
        unknown = (set(self.moves) | set().union(*self.moves.values())) - set(self._labels)
        if missing or unknown:
            raise ImproperlyConfigured(
                f"The workflow of {model._meta.label}.{field} must have a row for every status "
                f"and name no other: missing {sorted(missing)}, unknown {sorted(unknown)}."
            )

    def can_move(self, from_status: str, to: str) -> bool:
        return to in self.moves.get(from_status, frozenset())

    def allowed(self, obj: M) -> frozenset[str]:
        """The statuses `obj` may move to from the status it holds in memory."""
        return self.moves.get(getattr(obj, self.field), frozenset())

    def label(self, status: str) -> str:
        return self._labels.get(status, status)

    def check(self, obj: M, to: str) -> None:
        """Raise the one refusal when the table has no move from `obj`'s status to `to`."""
        self._check(obj, getattr(obj, self.field), to)

    def move(
        self,
        obj: M,
        to: str,
        *,
        by: AbstractBaseUser | None,
        reason: str,
        changes: Mapping[str, Any] | None = None,
    ) -> M:
        """Move `obj` to `to`, with the fields in `changes`, and save it with its history row.

        The status is read again under the row lock, so a stale copy in memory cannot take a
        move the table no longer allows (a concurrent withdrawal, a double click). The rest of
        `obj` is saved as the caller holds it: services lock and read it first when its other
        fields matter. `changes` is a mapping, not keyword arguments, because some models have
        a field called `reason`.
        """
        self.check(obj, to)  # refused on what is in memory, before any query
        if obj.pk is None:
            raise ValueError(f"Save the {obj._meta.verbose_name} before moving it.")
        fields = dict(changes or {})
        for field_name in fields:
            obj._meta.get_field(field_name)  # a misspelt field fails here, not silently
        database = obj._state.db or "default"
        with transaction.atomic(using=database):
            stored = (
                type(obj)
                ._base_manager.db_manager(database)
                .select_for_update()
                .filter(pk=obj.pk)
                .values_list(self.field, flat=True)
                .get()
            )
            self._check(obj, stored, to)
            for field_name, value in fields.items():
                setattr(obj, field_name, value)
            setattr(obj, self.field, to)
            history_save(obj, by=by, reason=reason)
        return obj

    def _check(self, obj: M, from_status: str, to: str) -> None:
        if not self.can_move(from_status, to):
            name = self._name(obj) if self._name else f"This {obj._meta.verbose_name}"
            if from_status == to:
                # A repeated click or a second tab: say where it stands, not a move to itself.
                raise ValidationError(
                    f"{name} is already {self.label(to).lower()}.", code="move_refused"
                )
            raise ValidationError(
                f"{name} cannot go from {self.label(from_status).lower()} to "
                f"{self.label(to).lower()}.",
                code="move_refused",
            )
