"""paginate(): page after page until `count` items, whatever type the endpoint gives its page parameters."""

from __future__ import annotations

import httpx
import pytest

from hero_health_client import HeroClient, paginate
from hero_health_client.generated.api.admin import list_admins
from hero_health_client.generated.api.episode import list_episodes
from tests.conftest import Recorder


def admins(request: httpx.Request) -> httpx.Response:
    index, size = int(request.url.params["page_index"]), int(request.url.params["page_size"])
    ids = range(index * size, min(7, (index + 1) * size))
    data = [
        {"id": str(i), "first_name": "A", "last_name": "B", "email": "a@b.c", "external_prescriber_id": None}
        for i in ids
    ]
    return httpx.Response(200, json={"data": data, "count": 7})


async def test_walks_every_page_and_stops_on_count(api_key: str) -> None:
    recorder = Recorder(admins)
    async with HeroClient(api_key, "1", transport=recorder.transport) as hero:
        ids = [admin.id async for admin in paginate(list_admins.asyncio, client=hero, page_size=3)]
    assert ids == [str(i) for i in range(7)]
    assert [r.url.params["page_index"] for r in recorder.requests] == ["0", "1", "2"]


async def test_integer_page_parameters_are_sent_as_integers(api_key: str) -> None:
    episodes = [{"id": str(i), "status": "open", "priority": "low", "patient": None} for i in range(2)]
    recorder = Recorder(httpx.Response(200, json={"data": episodes, "count": 2}))
    async with HeroClient(api_key, "1", transport=recorder.transport) as hero:
        found = [e async for e in paginate(list_episodes.asyncio, client=hero, page_size=50)]
    assert len(found) == 2
    assert recorder.requests[0].url.params["page_size"] == "50"


async def test_an_empty_page_ends_the_walk(api_key: str) -> None:
    recorder = Recorder(httpx.Response(200, json={"data": [], "count": 10}))
    async with HeroClient(api_key, "1", transport=recorder.transport) as hero:
        assert [a async for a in paginate(list_admins.asyncio, client=hero)] == []
    assert len(recorder.requests) == 1


async def test_page_size_must_be_positive(api_key: str) -> None:
    async with HeroClient(api_key, "1") as hero:
        with pytest.raises(ValueError, match="page_size"):
            await anext(paginate(list_admins.asyncio, client=hero, page_size=0))
