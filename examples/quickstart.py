"""Quickstart: a tour of the Hero Health SDK, runnable with no credentials against a local mock of the API.

    make demo                                  # or: .venv/bin/python examples/quickstart.py
    HERO_MOCK_URL=http://127.0.0.1:4010 make demo        # reuse a mock started with `make mock`

Without credentials it starts Prism on openapi.yaml (``make node`` installs it) and uses test credentials. With
``HERO_API_KEY`` and ``HERO_PRACTICE_GROUP_ID`` set it talks to Hero instead (``HERO_BASE_URL``, default
production) and only reads, unless you also name a test patient and slot you own:

    HERO_DEMO_PATIENT_ID   sends that patient 1 SMS, then 50 more in the bulk step (real messages!)
    HERO_DEMO_SLOT_ID      shows that slot and reserves an appointment in it

Steps: practice info and capabilities; appointment types and a slot in London time (and the day the clocks go back);
a reserved appointment; an SMS written to the record, with its status polled; 50 messages sent concurrently through
the client's rate limiter. Everything goes through one object: ``hero.<group>.<operation>(...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hero_health_client import PRODUCTION_URL, HeroClient, HeroError, RateLimit
from hero_health_client.london import format_london, london_day_bounds, london_to_utc, to_london
from hero_health_client.types import AppointmentType, Unset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: scripts/ is not an installed package
from scripts.mock_server import PrismError, prism_server

BULK_MESSAGES = 50
# Small enough that the limiter visibly holds the bulk send back against the mock, short enough for a quick demo.
MOCK_RATE_LIMIT = RateLimit(requests=20, seconds=2)
FINAL_STATES = frozenset({"delivered", "declined", "fatal"})

console = Console(highlight=False)


@dataclass(frozen=True)
class Target:
    """Where the demo runs and with what; the API key is only ever handed to HeroClient, never printed."""

    base_url: str
    api_key: str = field(repr=False)
    practice_group_id: str
    is_mock: bool
    patient_id: str | None
    slot_id: str | None


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@contextlib.contextmanager
def target() -> Iterator[Target]:
    """Hero itself when credentials are set; otherwise a Prism mock (started here, or ``$HERO_MOCK_URL``)."""
    api_key, group = _env("HERO_API_KEY"), _env("HERO_PRACTICE_GROUP_ID")
    if api_key and group:
        base_url = _env("HERO_BASE_URL") or PRODUCTION_URL
        console.print(f"Using Hero at [bold]{base_url}[/] (credentials from the environment)")
        yield Target(base_url, api_key, group, False, _env("HERO_DEMO_PATIENT_ID"), _env("HERO_DEMO_SLOT_ID"))
        return
    if api_key or group:
        raise SystemExit("error: set both HERO_API_KEY and HERO_PRACTICE_GROUP_ID, or neither to use the mock")
    reused = _env("HERO_MOCK_URL")
    with console.status("Starting the Prism mock of openapi.yaml…"), prism_server() as url:
        console.print(f"Using the Prism mock at [bold]{url}[/]" + (" ($HERO_MOCK_URL)" if reused else ""))
        console.print("[dim]Answers are the examples from Hero's documentation: realistic, but not real patients.[/]")
        yield Target(url, "demo-key", "1", True, "1", "1")


def heading(text: str) -> None:
    console.print()
    console.rule(f"[bold cyan]{text}", align="left")


def london(value: datetime | Unset | None) -> str:
    return format_london(value) if isinstance(value, datetime) else "—"


async def practice(hero: HeroClient) -> None:
    heading("1. Practice group")
    group = await hero.practice_group.get_practice_group_by_id()
    shown = {k: group[k] for k in ("id", "name", "ods_code") if k in group and isinstance(group[k], str | int)}
    if shown:
        for key, value in shown.items():
            console.print(f"  {key}: [bold]{value}[/]")
    else:
        console.print(f"  {len(group.additional_properties)} fields (Hero does not document them)")
    capabilities = await hero.practice_group.get_capabilities()
    names = capabilities.capabilities if not isinstance(capabilities.capabilities, Unset) else []
    console.print(f"  capabilities: {', '.join(names) or 'none listed'}")


async def appointment_types(hero: HeroClient) -> AppointmentType | None:
    heading("2. Appointment types")
    types = await hero.practice_group.list_appointment_types()
    table = Table("Name", "Practitioner", "Minutes", "Next available (London)")
    for kind in types.data[:5]:
        table.add_row(kind.name, str(kind.practitioner_type), f"{kind.duration:g}", london(kind.next_available_at))
    console.print(table)
    if types.count > len(types.data):
        console.print(f"  … {int(types.count)} in all")
    return types.data[0] if types.data else None


async def slot_and_booking(hero: HeroClient, slot_id: str | None, kind: AppointmentType | None) -> None:
    heading("3. A slot, in London time, and a reserved appointment")
    if slot_id is None:
        console.print("  [yellow]skipped[/]: set HERO_DEMO_SLOT_ID to a slot you may book")
        return
    slot = await hero.booking.get_slot(slot_id)
    if not isinstance(slot.start_time, datetime):
        console.print("  the slot has no start time; nothing to reserve")
        return
    start = slot.start_time
    console.print(f"  slot starts {start.isoformat()} (UTC, as Hero sends it)")
    console.print(f"           = [bold]{format_london(start)}[/] in London (UTC{to_london(start):%z})")
    minutes = (slot.finish_time - start).total_seconds() / 60 if isinstance(slot.finish_time, datetime) else 0.0
    if minutes <= 0 and kind is not None:
        minutes = kind.duration

    def pick(value: str | Unset, fallback: str | None) -> str:
        return value if isinstance(value, str) else fallback or ""

    reserved = await hero.booking.create_appointment(
        appointment_type_id=pick(slot.appointment_type_id, kind.id if kind else None),
        location_id=pick(slot.location_id, None),
        practitioner_id=pick(slot.practitioner_id, None),
        duration=minutes,
        start_time=start,
    )
    console.print(f"  reserved appointment [bold]{reserved.id}[/], held until {london(reserved.reserved_until)}")


def clocks_go_back() -> None:
    heading("4. The day the clocks go back (BST -> GMT)")
    start, end = london_day_bounds("2026-10-25")
    console.print(f"  Sunday 25 October 2026 lasts {(end - start).total_seconds() / 3600:g} hours in London")
    for fold, label in ((0, "first, still BST"), (1, "second, now GMT")):
        utc = london_to_utc("2026-10-25T01:30:00", fold=fold)
        console.print(f"  01:30 London ({label}) = {utc:%H:%M} UTC -> shown as [bold]{format_london(utc)}[/]")
    console.print("  [dim]Without fold=, london_to_utc refuses the ambiguous time instead of guessing.[/]")


async def sms(hero: HeroClient, patient_id: str | None, is_mock: bool) -> None:
    heading("5. An SMS, written to the patient's record")
    if patient_id is None:
        console.print("  [yellow]skipped[/]: set HERO_DEMO_PATIENT_ID to a test patient of yours")
        return
    sent = await hero.messages.send_message(
        patient_id=patient_id,
        message_type="sms",
        message_string="Hello from the Hero Health SDK quickstart.",
        write_to_record=True,
    )
    console.print(f"  message [bold]{sent.message_id}[/] accepted (write to record: {sent.write_to_record})")
    polls, pause = (2, 0.3) if is_mock else (10, 2.0)
    for attempt in range(1, polls + 1):
        status = await hero.messages.get_message_status(sent.message_id)
        state = str(status.status.response)
        console.print(f"  poll {attempt}: {state}, sent {london(status.status.sent_at)}")
        if state in FINAL_STATES:
            break
        await asyncio.sleep(pause)


async def bulk(hero: HeroClient, patient_id: str | None) -> None:
    heading(f"6. {BULK_MESSAGES} messages at once, through the rate limiter")
    if patient_id is None:
        console.print("  [yellow]skipped[/]: set HERO_DEMO_PATIENT_ID to a test patient of yours")
        return
    columns = (TextColumn("  sending"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    failures: list[HeroError] = []
    started = time.monotonic()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("send", total=BULK_MESSAGES)

        async def one(number: int) -> None:
            try:
                await hero.messages.send_message(
                    patient_id=patient_id,
                    message_type="sms",
                    message_string=f"Quickstart bulk message {number} of {BULK_MESSAGES}.",
                )
            except HeroError as exc:
                failures.append(exc)
            progress.advance(task)

        await asyncio.gather(*(one(n) for n in range(1, BULK_MESSAGES + 1)))
    console.print(
        f"  {BULK_MESSAGES - len(failures)} sent, {len(failures)} failed in {time.monotonic() - started:.1f} s"
    )
    if failures:
        raise failures[0]


async def tour(where: Target) -> None:
    limit = MOCK_RATE_LIMIT if where.is_mock else RateLimit()
    console.print(f"Rate limit: {limit.requests} requests per {limit.seconds:g} s")
    async with HeroClient(
        api_key=where.api_key, practice_group_id=where.practice_group_id, base_url=where.base_url, rate_limit=limit
    ) as hero:
        await practice(hero)
        kind = await appointment_types(hero)
        await slot_and_booking(hero, where.slot_id, kind)
        clocks_go_back()
        await sms(hero, where.patient_id, where.is_mock)
        await bulk(hero, where.patient_id)
        stats = hero.stats
        console.print()
        console.print(
            f"[bold green]Done.[/] {stats.requests} requests, {stats.retries} retries, "
            f"{stats.rate_limited} answered 429. The rate limiter held requests back "
            f"{stats.limiter_wait_mean:.2f} s on average, {stats.limiter_wait_max:.2f} s at most "
            f"({stats.limiter_waits} grants)."
        )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # like Ctrl-C: stop the mock we started instead of orphaning it
    try:
        with target() as where:
            asyncio.run(tour(where))
    except KeyboardInterrupt:
        console.print("\n[yellow]Interrupted.[/]")
        return 130
    except PrismError as exc:
        console.print(f"[red]error:[/] could not use the mock: {exc}")
        return 1
    except HeroError as exc:
        console.print(f"[red]error:[/] {type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
