import pytest

# The portal's owner / member / auditor / outsider fixtures of controllers A and B.
from tests.portal.conftest import (  # noqa: F401
    activity_of_a,
    auditor,
    controller_a,
    controller_b,
    member,
    outsider,
    owner,
)


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """Captures what a request or service enqueues on commit; `run()` then runs it, as a task
    worker would (the immediate backend runs a task as it is enqueued)."""

    class Queue:
        def __init__(self):
            self.callbacks = []

        def capture(self):
            return django_capture_on_commit_callbacks()

        def run(self, captured):
            for callback in list(captured):
                callback()

    return Queue()
