"""What the bench_*.py modules and run.py share: the Row they report in, the machine description, paths.

Not a benchmark itself (run.py only runs ``bench_*.py``). Importing it puts the repository root on ``sys.path``,
so a benchmark run as ``python bench/bench_x.py`` finds ``hero_health_client`` and ``tests.support`` too.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@dataclass(frozen=True)
class Row:
    """One reported figure: ``value`` (a ratio, or an int count) is what a goal is checked against, ``detail`` the
    absolute figures behind it. A goal is ``at_most`` and/or ``at_least``; a row without one is informational."""

    measure: str
    value: float
    detail: str = ""
    at_most: float | None = None
    at_least: float | None = None

    @property
    def goal(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f">= {self.at_least:g}")
        if self.at_most is not None:
            parts.append(f"<= {self.at_most:g}")
        return " and ".join(parts)

    @property
    def passed(self) -> bool | None:
        """None when there is no goal."""
        if self.at_most is None and self.at_least is None:
            return None
        return (self.at_most is None or self.value <= self.at_most) and (
            self.at_least is None or self.value >= self.at_least
        )

    @property
    def verdict(self) -> str:
        return {None: "", True: "PASS", False: "MISS"}[self.passed]

    @property
    def shown(self) -> str:
        return str(self.value) if isinstance(self.value, int) else f"{self.value:.3f}"


def format_rows(title: str, rows: Sequence[Row | str]) -> str:
    """A plain-text table (value, goal, verdict, then the absolute figures); string entries become notes below."""
    table = [r for r in rows if isinstance(r, Row)]
    notes = [r for r in rows if isinstance(r, str)]
    width = max([len(r.measure) for r in table] + [7])
    lines = [title, "-" * len(title)]
    lines += [f"  {r.measure:<{width}}  {r.shown:>8}  {r.goal:<10}  {r.verdict:<4}  {r.detail}".rstrip() for r in table]
    lines += [f"  note: {n}" for n in notes]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _mem_total(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "httpx": httpx.__version__,
    }


def run_standalone(title: str, rows: Sequence[Row | str]) -> None:
    """``python bench/bench_x.py``: print the one table."""
    print(format_rows(title, rows))
