"""One or more pages measured in process, as bench/pages.py counts them: each page's queries
and its median and slowest time over a number of requests, as the benchmark's Privacy Officer
(signed in with a second factor).

Run with the settings bench/run serves with (DATABASE_URL and the keys it sets):

    python bench/probe.py [--times N] PATH [PATH ...]

For a page changed after a full run of bench/run: its figures beside the run's, on the same
database, without walking every page again.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402  (sets Django up with the benchmark's settings)
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from apps.accounts.models import User  # noqa: E402


def probe(client, path: str, times: int) -> dict:
    queries = pages.count(client, path, path)  # warms the per-process caches first
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
    return {
        "queries": queries,
        "median_ms": statistics.median(spent),
        "max_ms": max(spent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--times", type=int, default=20)
    args = parser.parse_args()
    staff = User.objects.get(email=pages.STAFF)
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    client = pages.client_with(pages.session_for(staff, device))
    for path in args.paths:
        found = probe(client, path, args.times)
        print(
            f"{path}: {found['queries']} queries, median {found['median_ms']:.0f} ms, "
            f"slowest {found['max_ms']:.0f} ms over {args.times}"
        )


if __name__ == "__main__":
    main()
