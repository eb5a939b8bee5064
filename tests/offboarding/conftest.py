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
