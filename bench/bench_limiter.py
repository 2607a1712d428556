"""Limiter: accuracy and utilisation against a strict sliding-window server, ours against a bare AsyncLimiter.

Hero's 300 per 60 s is scaled to ``LIMIT`` per ``SECONDS`` so a run of ``WINDOWS`` windows takes seconds, and
``CALLERS`` closed-loop callers keep far more demand waiting than the limit allows. The server (own process) counts
every arrival in a sliding window and answers 429 past the limit; its arrival times are what is analysed here, so
"over the limit" is what Hero would have seen, not what the client believes.

Utilisation is the accepted arrivals in ``[t0, t0 + WINDOWS * SECONDS)`` over ``WINDOWS * LIMIT``, t0 being the first
arrival: 1.0 means every window's budget was spent. Beside it, the arrival time of the first request past that
budget gives the sustained rate, which also charges the few ms per cycle the limiter's margin and round trips cost.
"""

from __future__ import annotations

import asyncio
import bisect
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

import benchlib
from aiolimiter import AsyncLimiter
from benchlib import OUT_DIR, Row

from hero_health_client import HeroClient, HeroError, RateLimit
from hero_health_client.generated.api.messages import get_message_status
from tests.support.subprocess_server import StrictServerProcess

LIMIT = 60
SECONDS = 2.0
WINDOWS = 10
CALLERS = 240
TAIL = 0.5  # run a little past the last full window so it is complete at the server
BUCKET = 0.1  # seconds per bar in the plot's lower panel
GRID = 0.01  # seconds between samples of the sliding count in the upper panel
PLOT = OUT_DIR / "limiter_windows.png"
GOAL_UTILISATION = 0.97


@dataclass
class Outcome:
    """What one variant's run looked like at the server, and how many 429s its client got."""

    label: str
    arrivals: list[float]
    over_limit: int
    received_429: int
    errors: int

    @property
    def t0(self) -> float:
        return self.arrivals[0]

    def accepted(self) -> list[bool]:
        """The server's decision for each arrival, replayed from the arrival times with its own rule."""
        window: deque[float] = deque()
        decisions = []
        for t in self.arrivals:
            while window and t - window[0] > SECONDS:
                window.popleft()
            window.append(t)
            decisions.append(len(window) <= LIMIT)
        return decisions

    def per_window(self) -> list[int]:
        """Accepted arrivals in each of the WINDOWS consecutive windows from t0."""
        counts = [0] * WINDOWS
        for t, ok in zip(self.arrivals, self.accepted(), strict=True):
            index = int((t - self.t0) // SECONDS)
            if ok and index < WINDOWS:
                counts[index] += 1
        return counts

    def utilisation(self) -> float:
        return sum(self.per_window()) / (WINDOWS * LIMIT)

    def renewal(self) -> str:
        """When the budget of the window after the last full one started to be spent: the steady-state view, which
        window-aligned counting cannot see (a cycle of SECONDS + a few ms still fills every aligned window)."""
        accepted = [t for t, ok in zip(self.arrivals, self.accepted(), strict=True) if ok]
        if len(accepted) <= WINDOWS * LIMIT:
            return "fewer accepted than the budget: no steady state to show"
        first_over = accepted[WINDOWS * LIMIT] - self.t0
        return (
            f"accepted request {WINDOWS * LIMIT + 1} arrived at t0 + {first_over:.3f} s: "
            f"sustained {WINDOWS * SECONDS / first_over:.3f} of the limit"
        )

    def in_window_ending(self, t: float) -> int:
        """Arrivals in ``[t - SECONDS, t]``, the window the server checks when a request arrives at ``t``."""
        return bisect.bisect_right(self.arrivals, t) - bisect.bisect_left(self.arrivals, t - SECONDS)

    def peak(self) -> int:
        return max((self.in_window_ending(t) for t in self.arrivals), default=0)


Call = Callable[[int], Awaitable[object]]


async def _closed_loop(call: Call, duration: float) -> int:
    """CALLERS callers, each starting its next call when the last one ends, for ``duration`` seconds; errors."""
    errors = 0
    counter = 0

    async def caller() -> None:
        nonlocal errors, counter
        while True:
            counter += 1
            try:
                await call(counter)
            except HeroError:
                errors += 1

    try:
        async with asyncio.timeout(duration):
            await asyncio.gather(*(caller() for _ in range(CALLERS)))
    except TimeoutError:
        pass
    return errors


async def _ours(url: str) -> tuple[int, int]:
    # A fresh key: the in-process limiter is shared per API key, and an earlier run must not leave state behind.
    async with HeroClient(
        f"bench-limiter-{uuid.uuid4().hex}", "bench-practice-group", base_url=url, rate_limit=RateLimit(LIMIT, SECONDS)
    ) as hero:

        async def call(i: int) -> object:
            return await get_message_status.asyncio(str(i), client=hero)

        errors = await _closed_loop(call, WINDOWS * SECONDS + TAIL)
        return hero.stats.rate_limited, errors


async def _bare(url: str) -> tuple[int, int]:
    # No retries: a retry would leave without passing the AsyncLimiter and blur what it lets through.
    limiter = AsyncLimiter(LIMIT, SECONDS)
    async with HeroClient(
        "bench-limiter-bare", "bench-practice-group", base_url=url, rate_limit=None, max_retries=0
    ) as hero:

        async def call(i: int) -> object:
            async with limiter:
                return await get_message_status.asyncio(str(i), client=hero)

        errors = await _closed_loop(call, WINDOWS * SECONDS + TAIL)
        return hero.stats.rate_limited, errors


async def _both(ours_url: str, bare_url: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Both variants at once, each against its own server: the run takes half the time, and the client is idle
    enough (a few dozen requests a second) that neither disturbs the other."""
    return await asyncio.gather(_ours(ours_url), _bare(bare_url))


def _outcome(server: StrictServerProcess, label: str, counts: tuple[int, int]) -> Outcome:
    stats = server.stats()
    arrivals = sorted(cast(list[float], stats["arrivals"]))
    return Outcome(label, arrivals, cast(int, stats["over_limit"]), *counts)


def _plot(outcomes: list[Outcome]) -> str:
    """Arrivals per sliding window and per BUCKET over time; a note saying where the PNG went (or why not)."""
    try:
        import matplotlib  # optional: the figures do not need it

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no plot (pip install matplotlib)"
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, constrained_layout=True)
    colours = ("tab:blue", "tab:red")
    for outcome, colour in zip(outcomes, colours, strict=False):
        times = [t - outcome.t0 for t in outcome.arrivals]
        grid = [i * GRID for i in range(int((WINDOWS * SECONDS + TAIL) / GRID) + 1)]
        counts = [outcome.in_window_ending(outcome.t0 + g) for g in grid]
        top.step(grid, counts, where="post", color=colour, label=outcome.label, linewidth=1.2)
        buckets = [0] * (int((WINDOWS * SECONDS + TAIL) / BUCKET) + 1)
        for t in times:
            if 0 <= t / BUCKET < len(buckets):
                buckets[int(t / BUCKET)] += 1
        edges = [i * BUCKET for i in range(len(buckets))]
        bottom.step(edges, buckets, where="post", color=colour, label=outcome.label, linewidth=1.0)
    top.axhline(LIMIT, color="black", linestyle="--", linewidth=1, label=f"limit ({LIMIT} per {SECONDS:g} s)")
    top.set_ylabel(f"arrivals in the last {SECONDS:g} s")
    top.set_title(f"Requests as the server saw them: {CALLERS} closed-loop callers, limit {LIMIT} per {SECONDS:g} s")
    top.legend(loc="upper right")
    bottom.set_ylabel(f"arrivals per {BUCKET:g} s")
    bottom.set_xlabel("seconds since the first arrival")
    for k in range(1, WINDOWS + 1):
        bottom.axvline(k * SECONDS, color="grey", linewidth=0.5, alpha=0.5)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=110)
    plt.close(figure)
    return f"plot: {PLOT.relative_to(benchlib.REPO_ROOT)}"


def main() -> list[Row | str]:
    with (
        StrictServerProcess(limit=LIMIT, seconds=SECONDS) as ours_server,
        StrictServerProcess(limit=LIMIT, seconds=SECONDS) as bare_server,
    ):
        ours_counts, bare_counts = asyncio.run(_both(ours_server.url, bare_server.url))
        ours = _outcome(ours_server, "HeroClient (sliding-window limiter)", ours_counts)
        bare = _outcome(bare_server, "bare aiolimiter.AsyncLimiter", bare_counts)
    rows: list[Row | str] = []
    for outcome, short in ((ours, "HeroClient"), (bare, "bare AsyncLimiter")):
        mine = outcome is ours
        windows = outcome.per_window()
        accepted = sum(outcome.accepted())
        rows.append(
            Row(
                f"{short}: requests over the limit (server)",
                outcome.over_limit,
                f"peak {outcome.peak()} arrivals in a {SECONDS:g} s window (limit {LIMIT}); "
                f"{len(outcome.arrivals)} arrivals, {accepted} accepted",
                at_most=0 if mine else None,
            )
        )
        rows.append(
            Row(
                f"{short}: throughput / limit over {WINDOWS} windows",
                outcome.utilisation(),
                f"{sum(windows)} accepted of {WINDOWS * LIMIT}; per window {min(windows)}..{max(windows)}; "
                + outcome.renewal(),
                at_least=GOAL_UTILISATION if mine else None,
            )
        )
        rows.append(Row(f"{short}: 429s received", outcome.received_429, f"{outcome.errors} calls raised a HeroError"))
    rows.append(_plot([ours, bare]))
    return rows


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "limiter", main())
