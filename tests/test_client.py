"""HeroClient: headers, secrecy of the key, credentials, the escape hatch, closing."""

from __future__ import annotations

import logging

import httpx
import pytest

from hero_health_client import (
    MOCK_URL,
    PRODUCTION_URL,
    STAGING_URL,
    HeroClient,
    NotFoundError,
    ValidationError,
    __version__,
)
from hero_health_client.generated.api.patients import get_patient_by_id
from tests.conftest import Recorder

PATIENT = {"id": "943", "dob": None, "data_source": "hero", "status": "unarchived", "first_name": "Jane"}


async def test_every_request_carries_auth_and_user_agent(api_key: str) -> None:
    recorder = Recorder(httpx.Response(200, json=PATIENT))
    async with HeroClient(api_key, "77", transport=recorder.transport) as hero:
        await get_patient_by_id.asyncio("943", client=hero)
        await hero.request("GET", "/v1/locations", params={"page_index": 0})
    for request in recorder.requests:
        assert request.headers["x-api-key"] == api_key
        assert request.headers["x-practice-group-id"] == "77"
        assert request.headers["user-agent"] == f"hero-health-client/{__version__}"
        assert request.url.host == "api.herohealth.net"


def test_environments() -> None:
    assert PRODUCTION_URL == "https://api.herohealth.net"
    assert STAGING_URL == "https://api.staging.htech.app"
    assert MOCK_URL.startswith("https://developer.herohealth.net/_mock/")


def test_the_key_never_shows_in_repr_or_str(api_key: str) -> None:
    hero = HeroClient(api_key, "77", base_url=STAGING_URL)
    for text in (repr(hero), str(hero), repr(hero.get_async_httpx_client()), repr(hero._transport)):
        assert api_key not in text
    assert "…" in repr(hero) and "77" in repr(hero)


@pytest.mark.parametrize("bad", ["", "   ", "\t\n", None, 42])
@pytest.mark.parametrize("field", ["api_key", "practice_group_id"])
def test_bad_credentials_are_refused_at_construction(bad: object, field: str) -> None:
    kwargs = {"api_key": "k", "practice_group_id": "1", field: bad}
    with pytest.raises(ValueError, match=field):
        HeroClient(**kwargs)  # type: ignore[arg-type]


def test_credentials_with_stray_whitespace_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="whitespace") as raised:
        HeroClient("secret-key\n", "1")
    assert "secret-key" not in str(raised.value)


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="base_url"):
        HeroClient("k", "1", base_url="api.herohealth.net")


async def test_escape_hatch_returns_the_response_and_raises_typed_errors(api_key: str) -> None:
    recorder = Recorder(
        httpx.Response(201, json={"booked": True}), httpx.Response(404, json={"error": "not_found", "message": "x"})
    )
    async with HeroClient(api_key, "1", transport=recorder.transport) as hero:
        response = await hero.request("post", "/v1/appointments/12/book", json={"patient_id": "943"})
        assert response.status_code == 201 and response.json() == {"booked": True}
        with pytest.raises(NotFoundError) as raised:
            await hero.request("GET", "/v1/appointments/12/status")
    assert recorder.requests[0].method == "POST"
    assert recorder.requests[0].content == b'{"patient_id":"943"}'
    assert "GET /v1/appointments/{id}/status" in str(raised.value)


async def test_generated_functions_raise_typed_errors(api_key: str) -> None:
    recorder = Recorder(httpx.Response(404, json={"error": "not_found", "message": "No patient 943"}))
    async with HeroClient(api_key, "1", transport=recorder.transport) as hero:
        with pytest.raises(NotFoundError) as raised:
            await get_patient_by_id.asyncio("943", client=hero)
    assert raised.value.status_code == 404
    assert raised.value.message == "No patient 943"
    assert "943" not in str(raised.value)


async def test_logs_hold_neither_key_nor_patient_data(api_key: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(
        httpx.Response(503), httpx.Response(200, json=PATIENT), httpx.Response(400, json={"error": True})
    )
    async with HeroClient(api_key, "77", transport=recorder.transport) as hero:
        await get_patient_by_id.asyncio("9434765919", client=hero)
        with pytest.raises(ValidationError):
            await hero.request("GET", "/v1/patients", params={"nhs_number": "9434765919"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /v1/patients/{id} -> 503 attempt=1" in text
    assert "GET /v1/patients/{id} -> 200 attempt=2" in text
    assert "retrying GET /v1/patients/{id}" in text
    assert api_key not in text
    assert "9434765919" not in text
    assert "Jane" not in text


async def test_aclose_and_async_with_release_the_pool(api_key: str) -> None:
    hero = HeroClient(api_key, "1", transport=Recorder(httpx.Response(200, json=PATIENT)).transport)
    pool = hero.get_async_httpx_client()
    await hero.aclose()
    assert pool.is_closed
    async with HeroClient(api_key, "1") as other:
        inner = other.get_async_httpx_client()
    assert inner.is_closed


async def test_timeout_is_applied(api_key: str) -> None:
    async with HeroClient(api_key, "1", timeout=4.5) as hero:
        assert hero.get_async_httpx_client().timeout == httpx.Timeout(4.5)
    async with HeroClient(api_key, "1") as hero:
        assert hero.get_async_httpx_client().timeout == httpx.Timeout(30.0)


async def test_connection_settings_reach_the_network_transport(api_key: str) -> None:
    async with HeroClient(api_key, "1", httpx_args={"limits": httpx.Limits(max_connections=7)}) as hero:
        pool = hero._transport._inner._pool  # type: ignore[attr-defined]
        assert pool._max_connections == 7
    with pytest.raises(ValueError, match="limits"):
        HeroClient(api_key, "1", transport=httpx.MockTransport(lambda _: httpx.Response(200)), httpx_args={"limits": 1})
