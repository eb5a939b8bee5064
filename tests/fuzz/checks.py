"""What must hold after any POST: no 500, nothing half-saved, nothing unescaped."""

import os
import time
from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps as django_apps
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings

from tests.fuzz.strategies import MARKUP

# One database transaction per example: each example runs inside transaction.atomic() that is
# rolled back at its end (see rolled_back), so examples never see each other's rows. The test
# itself runs in pytest-django's transaction (the `db` fixture), which the fixtures' rows live in.
# `pytest --hypothesis-profile=no-shrink` reports a failure at once, unshrunk.
settings.register_profile("no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])

# `make test` runs a fixed, reproducible set of examples per form; `make fuzz` (FUZZ=1) runs
# FUZZ_EXAMPLES per form, randomised and unshrunk, so each run tries new input and a failure is
# reported as it was found.
FUZZING = os.environ.get("FUZZ") == "1"
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200" if FUZZING else "30"))
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=not FUZZING,
    database=None,
    phases=[Phase.explicit, Phase.generate] if FUZZING else list(Phase),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# No request may cost more than this for any input. `make fuzz` runs on a quiet machine and
# bounds the wall-clock time; within the whole suite, where other work shares the cores, the
# bound is on the test process's own CPU time. FUZZ_CLOCK=cpu or wall chooses explicitly (a deep
# run on a shared machine bounds CPU time; the summary reports both).
MAX_REQUEST_SECONDS = float(os.environ.get("FUZZ_MAX_SECONDS", "1.0"))
FUZZ_CLOCK = os.environ.get("FUZZ_CLOCK", "wall" if FUZZING else "cpu")
if FUZZ_CLOCK not in ("wall", "cpu"):
    raise ValueError(f"FUZZ_CLOCK must be 'wall' or 'cpu', not {FUZZ_CLOCK!r}")

# Per test: examples posted and the slowest request (wall and CPU seconds), for the summary
# `make fuzz` writes (tests/fuzz/report.py).
STATS: dict[str, dict] = defaultdict(lambda: {"examples": 0, "wall": 0.0, "cpu": 0.0})


def timed_post(client, url, data):
    """POST as a browser would, and hold the request to MAX_REQUEST_SECONDS."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.post(url, data)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
    stats = STATS[test]
    stats["examples"] += 1
    stats["wall"], stats["cpu"] = max(stats["wall"], wall), max(stats["cpu"], cpu)
    spent = wall if FUZZ_CLOCK == "wall" else cpu
    assert spent <= MAX_REQUEST_SECONDS, (
        f"POST {url} took {spent:.2f} s of {FUZZ_CLOCK} time (> {MAX_REQUEST_SECONDS} s) "
        f"for {_shape(data)}"
    )
    return response


def _shape(data: dict) -> str:
    longest = max((len(v) for v in _values(data) if isinstance(v, str)), default=0)
    return f"{len(data)} fields, longest value {longest} characters"


class rolled_back:
    """A savepoint around one example, always rolled back."""

    def __enter__(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def __exit__(self, *exc):
        transaction.set_rollback(True)
        self._atomic.__exit__(*exc)
        return False


def project_models():
    """Every model of the project's apps (apps.*), history models included."""
    return [m for m in django_apps.get_models() if m.__module__.startswith("apps.")]


def snapshot() -> dict:
    return {m: set(m._base_manager.values_list("pk", flat=True)) for m in project_models()}


def changed_models(before: dict, after: dict) -> dict:
    return {m: after[m] ^ before[m] for m in before if after[m] != before[m]}


def assert_no_unescaped_markup(response, posted: dict):
    body = response.content.decode(errors="replace")
    for markup in MARKUP:
        if any(isinstance(v, str) and markup in v for v in _values(posted)):
            assert markup not in body, f"{markup!r} came back unescaped from {response.request}"


def _values(posted: dict) -> Iterable:
    for value in posted.values():
        yield from value if isinstance(value, list) else [value]


def assert_written_objects_are_valid(before: dict, after: dict):
    """Every object written (a new row, or a new history row for a changed one) is whole."""
    touched = set()
    for model, pks in changed_models(before, after).items():
        new = pks & after[model]
        history_of = getattr(model, "instance_type", None)
        if history_of is not None:
            for row in model._base_manager.filter(pk__in=new):
                if row.history_type != "-":
                    touched.add((history_of, row.pk and getattr(row, history_of._meta.pk.attname)))
        else:
            touched.update((model, pk) for pk in new)
    for model, pk in touched:
        obj = model._base_manager.filter(pk=pk).first()
        if obj is not None:
            obj.full_clean()


def check_outcome(response, *, before: dict, posted: dict, allowed_on_refusal=frozenset()):
    """The checks shared by the portal and the admin fuzz tests."""
    assert response.status_code < 500, f"{response.status_code} for {posted!r}"
    assert_no_unescaped_markup(response, posted)
    after = snapshot()
    if response.status_code == 302:
        assert_written_objects_are_valid(before, after)
    else:
        changed = {m._meta.label for m in changed_models(before, after)} - allowed_on_refusal
        assert not changed, f"a refused POST ({response.status_code}) wrote to {changed}"
    return after
