"""bench/results.md from bench/run's measurements: `python bench/report.py bench/out`."""

import csv
import json
import os
import platform
import sys
from pathlib import Path

LIST_OR_DETAIL = (" list", " change", " history", "portal ", "public ", "audit trail")
QUERY_LIMIT, RATIO_LIMIT, P95_LIMIT, MEMORY_RATIO = 15, 1.5, 150, 1.2


def stats(path: Path) -> dict:
    with path.open() as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def main(out: Path) -> str:
    data = {s: json.loads((out / f"{s}.json").read_text()) for s in ("small", "large")}
    timing = {s: stats(out / f"{s}_stats.csv") for s in ("small", "large")}
    queries = {s: {p[0]: p[3] for p in data[s]["pages"]} for s in data}
    lines = [
        "# Benchmark: every page at the demo's size and at seed_scale's",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}; gunicorn (gunicorn.conf.py, DEBUG off) on 127.0.0.1 and "
        "PostgreSQL on the same machine; headless locust with one user walking every page in "
        "turn (one staff member signed in with TOTP, one customer). Query counts from Django's "
        "test client in process (CaptureQueriesContext). Made by `bench/run`.",
        "",
        "Rows: "
        + "; ".join(
            f"{s}: " + ", ".join(f"{k} {v:,}" for k, v in data[s]["rows"].items()) for s in data
        ),
        "",
        "| page | queries small | queries large | p50 ms small | p50 ms large | p95 ms small "
        "| p95 ms large | req/s large | p50 large/small | p95 large/small | samples large | targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, _door, _path, _q in data["large"]["pages"]:
        small, large = timing["small"].get(name), timing["large"].get(name)
        qs, ql = queries["small"].get(name, "–"), queries["large"][name]
        if not small or not large:
            lines.append(f"| {name} | {qs} | {ql} | | | | | | | | | not measured |")
            continue
        p50s, p50l = float(small["50%"]), float(large["50%"])
        p95s, p95l = float(small["95%"]), float(large["95%"])
        ratio = p95l / p95s if p95s else float("inf")
        misses = []
        if ql > QUERY_LIMIT:
            misses.append(f"queries > {QUERY_LIMIT}")
        if ratio > RATIO_LIMIT:
            misses.append(f"ratio > {RATIO_LIMIT}")
        if any(k in f" {name}" for k in LIST_OR_DETAIL) and p95l >= P95_LIMIT:
            misses.append(f"p95 ≥ {P95_LIMIT} ms")
        lines.append(
            f"| {name} | {qs} | {ql} | {p50s:.0f} | {p50l:.0f} | {p95s:.0f} | {p95l:.0f} | "
            f"{float(large['Requests/s']):.2f} | {p50l / p50s if p50s else 0:.2f} | {ratio:.2f} | "
            f"{large['Request Count']} | "
            f"{'met' if not misses else 'MISSED: ' + ', '.join(misses)} |"
        )
    lines += [
        "",
        "Streaming exports, peak Python memory (tracemalloc) while the whole response is read:",
        "",
    ]
    lines += [
        "| export | small peak | large peak | large body | large/small |",
        "|---|---|---|---|---|",
    ]
    for name, large in data["large"]["export_peak"].items():
        small = data["small"]["export_peak"][name]
        ratio = large["peak_bytes"] / small["peak_bytes"]
        lines.append(
            f"| {name} | {small['peak_bytes'] / 1024:.0f} KiB | {large['peak_bytes'] / 1024:.0f} KiB"
            f" | {large['body_bytes'] / 1048576:.1f} MiB | {ratio:.2f} "
            f"({'met' if ratio <= MEMORY_RATIO else 'MISSED'}) |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main(Path(sys.argv[1])))
