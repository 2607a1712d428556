"""HeroClient: headers, secrecy of the key, credentials, the escape hatch, closing."""

from __future__ import annotations

import dataclasses
import logging
import math
import traceback
import warnings

import httpx
import pytest

from hero_health_client import (
    MOCK_URL,
    PRODUCTION_URL,
    STAGING_URL,
    APIConnectionError,
    ClientClosedError,
    HeroClient,
    HeroError,
    NotFoundError,
    RateLimit,
    ServerError,
    ValidationError,
    __version__,
)
from hero_health_client.generated.api.patients import get_patient_by_id
from tests.conftest import Recorder
from tests.support.strict_server import StrictServer

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
        pool = hero._transport._inner.transport._pool  # type: ignore[attr-defined]
        assert pool._max_connections == 7
    with pytest.raises(ValueError, match="limits"):
        HeroClient(api_key, "1", transport=httpx.MockTransport(lambda _: httpx.Response(200)), httpx_args={"limits": 1})


@pytest.mark.parametrize("bad", ["key\rmore", "key\nmore", "key\x00more", "key more", "key\u200bmore", "kéy"])
@pytest.mark.parametrize("field", ["api_key", "practice_group_id"])
def test_credentials_with_characters_a_header_cannot_carry_are_refused_by_name(bad: str, field: str) -> None:
    kwargs = {"api_key": "k", "practice_group_id": "1", field: bad}
    with pytest.raises(ValueError, match=field) as raised:
        HeroClient(**kwargs)  # type: ignore[arg-type]
    assert bad not in str(raised.value) and "more" not in str(raised.value)


async def test_error_objects_do_not_carry_the_key(api_key: str) -> None:
    recorder = Recorder(httpx.Response(404, json={"error": "not_found"}))
    async with HeroClient(api_key, "77", transport=recorder.transport) as hero:
        with pytest.raises(NotFoundError) as raised:
            await get_patient_by_id.asyncio("943", client=hero)
    assert raised.value.response is not None
    attached = raised.value.response.request
    assert attached.headers["x-api-key"] != api_key
    assert api_key not in repr(attached.headers) and api_key not in str(dict(attached.headers))
    assert recorder.requests[0].headers["x-api-key"] == api_key  # what went out was unchanged


async def test_a_connection_failure_does_not_carry_the_key_in_its_cause(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    async with HeroClient(api_key, "77", transport=recorder.transport, max_retries=0) as hero:
        try:
            await get_patient_by_id.asyncio("943", client=hero)
        except APIConnectionError as exc:
            shown = traceback.format_exc() + repr(exc)
            cause = exc.__cause__
        else:
            pytest.fail("no APIConnectionError")
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.headers["x-api-key"] != api_key
    assert api_key not in shown


@pytest.mark.parametrize("timeout", [-1, 0, math.nan, math.inf, "30", True, httpx.Timeout(5, read=-1)])
def test_nonsense_timeouts_are_refused_at_construction(api_key: str, timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        HeroClient(api_key, "1", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_retries", [True, -1, 1.5, "2"])
def test_nonsense_max_retries_are_refused_at_construction(api_key: str, max_retries: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        HeroClient(api_key, "1", max_retries=max_retries)  # type: ignore[arg-type]


@pytest.mark.parametrize("base_url", ["https://", "http://exa mple.com", "ftp://example.com", "https:///v1", 42])
def test_base_urls_without_a_usable_host_are_refused_at_construction(api_key: str, base_url: object) -> None:
    with pytest.raises(ValueError, match="base_url"):
        HeroClient(api_key, "1", base_url=base_url)  # type: ignore[arg-type]


async def test_a_closed_client_raises_instead_of_opening_a_new_pool(api_key: str) -> None:
    recorder = Recorder(httpx.Response(200, json=PATIENT))
    async with HeroClient(api_key, "1", transport=recorder.transport) as hero:
        await get_patient_by_id.asyncio("943", client=hero)
    with pytest.raises(ClientClosedError) as raised:
        await get_patient_by_id.asyncio("943", client=hero)
    with pytest.raises(ClientClosedError):
        await hero.request("GET", "/v1/locations")
    assert isinstance(raised.value, HeroError)
    assert len(recorder.requests) == 1  # nothing more was sent


async def test_a_closed_client_opens_no_socket(api_key: str) -> None:
    async with StrictServer() as server:
        async with HeroClient(api_key, "1", base_url=server.url, rate_limit=None) as hero:
            await hero.request("GET", "/v1/locations")
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            with pytest.raises(ClientClosedError):
                await hero.request("GET", "/v1/locations")
        assert len(server.stats.arrivals) == 1


# --- configuration from the environment, and with_options views -----------------------------------------------


def test_credentials_and_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERO_API_KEY", "env-key")
    monkeypatch.setenv("HERO_PRACTICE_GROUP_ID", "77")
    monkeypatch.setenv("HERO_ENVIRONMENT", "staging")
    monkeypatch.delenv("HERO_BASE_URL", raising=False)
    client = HeroClient(rate_limit=None)
    assert client.practice_group_id == "77" and client.base_url == STAGING_URL
    monkeypatch.setenv("HERO_BASE_URL", "http://127.0.0.1:4010/")
    assert HeroClient(rate_limit=None).base_url == "http://127.0.0.1:4010"
    assert HeroClient("given-key", "5", base_url=MOCK_URL, rate_limit=None).base_url == MOCK_URL


@pytest.mark.parametrize(
    ("missing", "named"), [("HERO_API_KEY", "api_key"), ("HERO_PRACTICE_GROUP_ID", "practice_group_id")]
)
def test_a_missing_credential_names_its_variable(monkeypatch: pytest.MonkeyPatch, missing: str, named: str) -> None:
    monkeypatch.setenv("HERO_API_KEY", "env-key-secret")
    monkeypatch.setenv("HERO_PRACTICE_GROUP_ID", "77")
    monkeypatch.delenv(missing)
    with pytest.raises(ValueError, match=f"{named}.*{missing}") as refused:
        HeroClient(rate_limit=None)
    assert "env-key-secret" not in str(refused.value)


def test_an_unknown_environment_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HERO_BASE_URL", raising=False)
    monkeypatch.setenv("HERO_ENVIRONMENT", "prod")
    with pytest.raises(ValueError, match="HERO_ENVIRONMENT must be one of production, staging, mock"):
        HeroClient("key", "1", rate_limit=None)


async def test_a_view_has_its_own_retries_and_timeout_and_shares_the_rest() -> None:
    attempts: list[httpx.Request] = []

    def failing(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        return httpx.Response(503)

    async with HeroClient("view-key", "1", transport=httpx.MockTransport(failing), rate_limit=RateLimit(50, 1)) as hero:
        hero._retry = dataclasses.replace(hero._retry, backoff_base=0.0)  # no waiting in this test
        view = hero.with_options(timeout=2.5, max_retries=0)
        with pytest.raises(ServerError):
            await view.request("GET", "/v1/slots/1")
        assert len(attempts) == 1  # the view's max_retries=0
        assert attempts[0].extensions["timeout"]["read"] == 2.5
        assert view.stats is hero.stats and hero.stats.requests == 1
        assert view.messages is not hero.messages and view.messages._client is view
        await view.aclose()  # closing a view closes nothing shared
        with pytest.raises(ServerError):
            await hero.with_options(max_retries=1).request("GET", "/v1/slots/1")
        assert len(attempts) == 3
    with pytest.raises(ClientClosedError):
        await view.request("GET", "/v1/slots/1")


@pytest.mark.parametrize("bad", [{"timeout": 0}, {"timeout": "5"}, {"max_retries": -1}, {"max_retries": True}])
def test_a_view_checks_its_options(bad: dict[str, object]) -> None:
    hero = HeroClient("key", "1", rate_limit=None)
    with pytest.raises(ValueError):
        hero.with_options(**bad)  # type: ignore[arg-type]


def test_the_version_constant_matches_pyproject() -> None:
    import tomllib

    from tests.conftest import REPO_ROOT

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert __version__ == project["version"]
