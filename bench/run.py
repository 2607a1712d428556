"""Run every ``bench/bench_*.py`` (in name order) and print one report: ratios, absolute figures, goals.

``make bench`` runs this. ``python bench/run.py limiter parse`` runs only the modules whose names contain one of
the words. The exit code is 0 whatever the figures: this is a report, not a test. A module that raises is
reported with its traceback and the others still run.

A benchmark module is ``bench/bench_<name>.py`` with:

- a docstring whose first line is its section title;
- ``main() -> Sequence[benchlib.Row | str]``, run in this process, doing its own setup and teardown (servers in
  their own processes, so they never share the measuring event loop). A ``Row(measure, value, detail,
  at_most=, at_least=)`` is one figure: ``value`` (a ratio, or a count) is checked against the goal, if it has
  one, and printed PASS or MISS; ``detail`` holds the absolute figures. A ``str`` is a note printed under the rows.

``import benchlib`` (beside this file) for ``Row``; it also puts the repository root on ``sys.path``.
Besides printing, the run writes ``bench/out/results.md`` (machine, tables) for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import datetime
import importlib.util
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import benchlib
from benchlib import BENCH_DIR, OUT_DIR, Row


def discover(only: Sequence[str] = ()) -> list[Path]:
    paths = sorted(BENCH_DIR.glob("bench_*.py"))
    return [p for p in paths if not only or any(word in p.stem for word in only)]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def title_of(module: ModuleType) -> str:
    return (module.__doc__ or module.__name__).strip().splitlines()[0]


def markdown(sections: list[tuple[str, Sequence[Row | str]]], machine: dict[str, str], seconds: float) -> str:
    lines = ["# Benchmark run", "", f"{datetime.date.today().isoformat()}, {seconds:.0f} s in all", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    for title, rows in sections:
        lines += [
            "",
            f"## {title}",
            "",
            "| measure | value | goal | result | absolute figures |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.measure} | {r.shown} | {r.goal} | {r.verdict} | {r.detail} |" for r in rows if isinstance(r, Row)
        ]
        lines += [f"\n{r}" for r in rows if isinstance(r, str)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    started = time.monotonic()
    machine = benchlib.machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()), flush=True)
    sections: list[tuple[str, Sequence[Row | str]]] = []
    for path in discover(argv):
        print(f"\nrunning {path.name} ...", flush=True)
        begun = time.monotonic()
        try:
            module = load(path)
            rows: Sequence[Row | str] = list(module.main())
            title = title_of(module)
        except Exception:
            title, rows = path.stem, [f"FAILED:\n{traceback.format_exc()}"]
        rows = [*rows, f"{path.name} took {time.monotonic() - begun:.0f} s"]
        sections.append((title, rows))
        print(benchlib.format_rows(title, rows), flush=True)

    goals = [r for _, rows in sections for r in rows if isinstance(r, Row) and r.passed is not None]
    missed = [r for r in goals if not r.passed]
    print(f"\ngoals: {len(goals) - len(missed)} PASS, {len(missed)} MISS")
    for r in goals:
        print(f"  {r.verdict}  {r.measure}: {r.shown} (goal {r.goal})")
    seconds = time.monotonic() - started
    print(f"total {seconds:.0f} s")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.md").write_text(markdown(sections, machine, seconds))
    print(f"written: {(OUT_DIR / 'results.md').relative_to(benchlib.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
