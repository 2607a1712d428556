"""Answers never escape as raw Python errors: a fault matrix of 2xx answers that do not fit their model.

For each fault, over a POST (``send_message``: Hero has accepted the SMS, so resending texts the patient twice) and
GETs: the error class (``ResponseValidationError``, a ``HeroError``), its attributes, the "do not resend" text with
no values in it, and how many requests went out. A complete but unparseable body is a parse failure: never retried.
A body that breaks off mid-read is a transport failure: a GET is retried, a POST or PATCH is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import socket
import struct
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hero_health_client import APIConnectionError, HeroClient, HeroError, ResponseValidationError
from hero_health_client.generated.api.admin import list_admins
from hero_health_client.generated.api.booking import cancel_appointment, get_slot
from hero_health_client.generated.api.messages import get_message_status, send_message
from hero_health_client.generated.models import MessageType, SendMessageRequest
from tests.conftest import Recorder

PATIENT_NUMBER = "9431234567"
FAKE_NAME = "Zebedee Quuxworthy"
SMS = SendMessageRequest(patient_id="943", message_type=MessageType.SMS, message_string="Your appointment is at 9:30")

SENT: dict[str, Any] = {
    "message_id": PATIENT_NUMBER,
    "content": f"Dear {FAKE_NAME}, your appointment is at 9:30",
    "created_at": "2026-03-29T01:30:00Z",
    "write_to_record": False,
    "snomed_code": None,
    "auth_token": None,
    "confirm_write_to_record_url": None,
    "submitted_by": None,
    "send_at": None,
}
STATUS: dict[str, Any] = {
    "id": PATIENT_NUMBER,
    "scheduled_send_at": None,
    "write_to_record": False,
    "status": {"write_to_record_at": None, "sent_at": None, "response": "sent", "failure_reason": FAKE_NAME},
    "errors": {"write_to_record": None, "send": None},
}
ADMIN: dict[str, Any] = {
    "id": "12",
    "first_name": "Zebedee",
    "last_name": "Quuxworthy",
    "email": "zq@example.com",
    "external_prescriber_id": None,
}
SLOT: dict[str, Any] = {"id": PATIENT_NUMBER, "start_time": "2026-03-29T09:30:00Z", "finish_time": None}


def without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    """A deep copy of ``data`` with the key at ``path`` removed."""
    copy = json.loads(json.dumps(data))
    target = copy
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return copy


def with_value(data: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(data))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


Call = Callable[[HeroClient], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    name: str
    call: Call
    detailed: Call
    route: str
    model: str
    valid: Any


SEND = Endpoint(
    "send_message",
    lambda h: send_message.asyncio(client=h, body=SMS),
    lambda h: send_message.asyncio_detailed(client=h, body=SMS),
    "/v1/messages/send",
    "SendMessageResponse",
    SENT,
)
STATUS_GET = Endpoint(
    "get_message_status",
    lambda h: get_message_status.asyncio("1", client=h),
    lambda h: get_message_status.asyncio_detailed("1", client=h),
    "/v1/messages/{id}/status",
    "MessageStatus",
    STATUS,
)
ADMINS = Endpoint(
    "list_admins",
    lambda h: list_admins.asyncio(client=h),
    lambda h: list_admins.asyncio_detailed(client=h),
    "/v1/admins",
    "ListAdminsResponse",
    {"data": [ADMIN], "count": 1},
)
SLOT_GET = Endpoint(
    "get_slot",
    lambda h: get_slot.asyncio("1", client=h),
    lambda h: get_slot.asyncio_detailed("1", client=h),
    "/v1/slots/{id}",
    "BookingSlot",
    SLOT,
)
CANCEL = Endpoint(
    "cancel_appointment",
    lambda h: cancel_appointment.asyncio("1", client=h),
    lambda h: cancel_appointment.asyncio_detailed("1", client=h),
    "/v1/appointments/{id}/cancel",
    "CancelAppointmentResponse",
    {},
)

JSON = "application/json"
HTML_PAGE = f"<html><body><h1>502 Bad Gateway</h1><p>{FAKE_NAME}</p></body></html>".encode()

# Bodies that are not a JSON object at all: every endpoint above refuses them. field is not checked (nothing parsed).
NOT_AN_OBJECT: list[tuple[str, bytes, str]] = [
    ("malformed-json", b'{"message_id": "' + PATIENT_NUMBER.encode() + b'", "content": ', JSON),
    ("html-page", HTML_PAGE, "text/html"),
    ("html-page-labelled-json", HTML_PAGE, JSON),
    ("json-array", json.dumps([SENT]).encode(), JSON),
    ("json-string", json.dumps(FAKE_NAME).encode(), JSON),
    ("json-null", b"null", JSON),
    ("json-number", PATIENT_NUMBER.encode(), JSON),
    ("empty-body", b"", JSON),
    ("invalid-utf8", b'{"content": "\xff' + FAKE_NAME.encode() + b'"}', JSON),
    ("nested-too-deep", b"[" * 100_000 + b"]" * 100_000, JSON),  # json.loads raises RecursionError, not ValueError
]
NOT_DECODABLE = {b"", HTML_PAGE, NOT_AN_OBJECT[0][1], NOT_AN_OBJECT[-2][1], NOT_AN_OBJECT[-1][1]}

# JSON objects that break the model: (endpoint, case id, body, a name the failing field path must contain)
BAD_OBJECTS: list[tuple[Endpoint, str, dict[str, Any], str | None]] = [
    (SEND, "empty-object", {}, None),
    (SEND, "missing-content", without(SENT, "content"), "content"),
    (SEND, "missing-message-id", without(SENT, "message_id"), "message_id"),
    (SEND, "wrong-type-bool", with_value(SENT, FAKE_NAME, "write_to_record"), "write_to_record"),
    (SEND, "wrong-type-str", with_value(SENT, 9431234567, "message_id"), "message_id"),
    (SEND, "null-required", with_value(SENT, None, "content"), "content"),
    (SEND, "bad-date", with_value(SENT, f"Tuesday with {FAKE_NAME}", "send_at"), "send_at"),
    (STATUS_GET, "empty-object", {}, None),
    (STATUS_GET, "missing-nested-object", without(STATUS, "status"), "status"),
    (STATUS_GET, "missing-nested-field", without(STATUS, "status", "sent_at"), "sent_at"),
    (STATUS_GET, "nested-wrong-type", with_value(STATUS, [FAKE_NAME], "status"), "status"),
    (STATUS_GET, "bad-date", with_value(STATUS, "29/03/2026 09:30", "scheduled_send_at"), "scheduled_send_at"),
    (STATUS_GET, "nested-bad-date", with_value(STATUS, "tomorrow", "status", "sent_at"), "sent_at"),
    (ADMINS, "empty-object", {}, None),
    (
        ADMINS,
        "row-without-external-prescriber-id",
        {"data": [without(ADMIN, "external_prescriber_id")], "count": 1},
        "external_prescriber_id",
    ),
    (ADMINS, "row-not-an-object", {"data": [FAKE_NAME], "count": 1}, "data"),
    (ADMINS, "data-not-a-list", {"data": {"first_name": FAKE_NAME}, "count": 1}, "data"),
    (SLOT_GET, "start-time-not-iso", with_value(SLOT, "29 March 2026 at 9:30", "start_time"), "start_time"),
    (SLOT_GET, "start-time-not-a-string", with_value(SLOT, 1774776600, "start_time"), "start_time"),
]


def error_texts(exc: BaseException) -> Iterator[str]:
    """The texts a traceback would print for ``exc`` and its chain, and each repr."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield "".join(traceback.format_exception_only(type(current), current))
        yield repr(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def assert_no_values(exc: BaseException) -> None:
    """Neither the patient number nor the name in the bodies reaches any text of the error or its chain."""
    for text in error_texts(exc):
        assert PATIENT_NUMBER not in text, text
        assert FAKE_NAME not in text and "Quuxworthy" not in text, text


def hero(api_key: str, recorder: Recorder, **options: Any) -> HeroClient:
    settings: dict[str, Any] = {"rate_limit": None, "max_retries": 2} | options
    return HeroClient(api_key, "1", transport=recorder.transport, **settings)


def check_processed(exc: ResponseValidationError, endpoint: Endpoint, *, status: int = 200) -> None:
    assert isinstance(exc, HeroError)
    assert exc.request_processed is True
    assert exc.status_code == status
    assert endpoint.route in exc.route
    assert exc.model == endpoint.model
    assert isinstance(exc.response, httpx.Response) and exc.response.status_code == status
    text = str(exc)
    assert "do not resend" in text
    assert f"HTTP {status}" in text
    assert endpoint.route in text or endpoint.model in text  # says where, by template
    assert_no_values(exc)


# An empty 200 is left out of asyncio_detailed, which may report it as ``parsed=None``; asyncio must not let it out as
# the generated ``UnexpectedStatus`` (not a HeroError).
NOT_AN_OBJECT_CALLS = [
    pytest.param(endpoint, content, content_type, use_detailed, id=f"{endpoint.name}-{case}-{style}")
    for endpoint in (SEND, STATUS_GET, ADMINS, SLOT_GET)
    for case, content, content_type in NOT_AN_OBJECT
    for use_detailed, style in ((False, "asyncio"), (True, "asyncio_detailed"))
    if not (use_detailed and content == b"")
]


@pytest.mark.parametrize(("endpoint", "content", "content_type", "use_detailed"), NOT_AN_OBJECT_CALLS)
async def test_a_body_that_is_not_a_json_object(
    endpoint: Endpoint, content: bytes, content_type: str, use_detailed: bool, api_key: str, no_sleep: list[float]
) -> None:
    recorder = Recorder(httpx.Response(200, content=content, headers={"content-type": content_type}))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await (endpoint.detailed if use_detailed else endpoint.call)(client)
    check_processed(caught.value, endpoint)
    if content in NOT_DECODABLE:
        assert caught.value.body is None  # not JSON: nothing decoded
    else:
        assert caught.value.body == json.loads(content)
    assert len(recorder.requests) == 1, "a complete answer that does not parse is not retried"
    assert no_sleep == []


@pytest.mark.parametrize("use_detailed", [False, True], ids=["asyncio", "asyncio_detailed"])
@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [c[0:1] + c[2:] for c in BAD_OBJECTS],
    ids=[f"{c[0].name}-{c[1]}" for c in BAD_OBJECTS],
)
async def test_a_json_object_that_breaks_the_model(
    endpoint: Endpoint,
    body: dict[str, Any],
    field: str | None,
    use_detailed: bool,
    api_key: str,
    no_sleep: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(httpx.Response(200, json=body))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await (endpoint.detailed if use_detailed else endpoint.call)(client)
    exc = caught.value
    check_processed(exc, endpoint)
    assert exc.body == body
    assert isinstance(exc.field, str) and exc.field
    if field is not None:
        assert field in exc.field, exc.field
        assert field in str(exc)
    assert len(recorder.requests) == 1
    assert no_sleep == []
    for record in caplog.records:  # nothing logged on the way carries the body's values either
        assert PATIENT_NUMBER not in record.getMessage() and FAKE_NAME not in record.getMessage()


@pytest.mark.parametrize("status", [201, 202])
async def test_any_2xx_status_is_named_in_the_text(status: int, api_key: str) -> None:
    recorder = Recorder(httpx.Response(status, json={}))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await SEND.call(client)
    check_processed(caught.value, SEND, status=status)


async def test_the_issue_case_is_caught_by_except_hero_error(api_key: str) -> None:
    """``send_message`` answered without ``content``: Hero sent the SMS, and the caller must be able to tell."""
    recorder = Recorder(httpx.Response(200, json=without(SENT, "content")))
    async with hero(api_key, recorder, max_retries=5) as client:
        try:
            await send_message.asyncio(client=client, body=SMS)
        except HeroError as exc:
            assert getattr(exc, "request_processed", False) is True
        else:
            pytest.fail("no error raised")
    assert len(recorder.requests) == 1


# --- a body that breaks off part-way (faked in the transport's byte stream) ---


class BrokenStream(httpx.AsyncByteStream):
    """Yields the first half of a body, then fails as a dropped or stalled connection would."""

    def __init__(self, head: bytes, failure: Exception) -> None:
        self.head = head
        self.failure = failure

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        raise self.failure


FAILURES: dict[str, Callable[[], Exception]] = {
    "reset": lambda: httpx.ReadError("connection reset by peer"),
    "closed-early": lambda: httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    "stalled": lambda: httpx.ReadTimeout("timed out"),
}


def broken(body: dict[str, Any], failure: str) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering 200 with headers for the whole body, then only half of it (a fresh stream each time)."""
    raw = json.dumps(body).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": JSON, "content-length": str(len(raw))}
        return httpx.Response(200, headers=headers, stream=BrokenStream(raw[: len(raw) // 2], FAILURES[failure]()))

    return answer


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("endpoint", [SEND, CANCEL], ids=lambda e: e.name)
async def test_a_post_or_patch_body_cut_off_is_not_resent(
    endpoint: Endpoint, failure: str, api_key: str, no_sleep: list[float]
) -> None:
    recorder = Recorder(broken(endpoint.valid or {"ok": FAKE_NAME}, failure), httpx.Response(200, json=endpoint.valid))
    async with hero(api_key, recorder, max_retries=3) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await endpoint.call(client)
    check_processed(caught.value, endpoint)
    assert caught.value.body is None
    assert len(recorder.requests) == 1
    assert no_sleep == []


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("endpoint", [STATUS_GET, ADMINS], ids=lambda e: e.name)
async def test_a_get_body_cut_off_is_retried_until_the_retries_run_out(
    endpoint: Endpoint, failure: str, api_key: str, no_sleep: list[float]
) -> None:
    recorder = Recorder(broken(endpoint.valid, failure))
    async with hero(api_key, recorder, max_retries=2) as client:
        with pytest.raises(HeroError) as caught:
            await endpoint.call(client)
    assert len(recorder.requests) == 3
    assert client.stats.retries == 2
    # Either kind says what happened; neither is a raw httpx error, and neither carries a value.
    assert isinstance(caught.value, ResponseValidationError | APIConnectionError), type(caught.value)
    assert_no_values(caught.value)


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_a_get_body_cut_off_once_then_whole_succeeds(failure: str, api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(broken(STATUS, failure), httpx.Response(200, json=STATUS))
    async with hero(api_key, recorder) as client:
        status = await get_message_status.asyncio("1", client=client)
    assert status.id == PATIENT_NUMBER
    assert len(recorder.requests) == 2


async def test_a_get_body_cut_off_with_retries_off_raises_once(api_key: str) -> None:
    recorder = Recorder(broken(STATUS, "reset"))
    async with hero(api_key, recorder, max_retries=0) as client:
        with pytest.raises(HeroError):
            await get_message_status.asyncio("1", client=client)
    assert len(recorder.requests) == 1


# --- the same over a real loopback socket: a server that sends half a body, then resets, closes or stalls ---


class HalfBodyServer:
    """Answers every request 200 with a Content-Length for ``body`` and sends only its first half, then ``mode``:
    ``reset`` (RST), ``close`` (FIN) or ``stall`` (nothing more until the test ends)."""

    def __init__(self, body: bytes, mode: str) -> None:
        self.body = body
        self.mode = mode
        self.requests = 0
        self._release = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> HalfBodyServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            self.requests += 1
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(self.body)}\r\n\r\n".encode()
                + self.body[: len(self.body) // 2]
            )
            await writer.drain()
            if self.mode == "reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            if self.mode == "stall":
                await self._release.wait()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def socket_client(api_key: str, url: str, max_retries: int) -> HeroClient:
    return HeroClient(api_key, "1", base_url=url, rate_limit=None, max_retries=max_retries, timeout=0.5)


@pytest.mark.parametrize("mode", ["reset", "close", "stall"])
async def test_a_real_send_message_body_cut_off_is_not_resent(mode: str, api_key: str, no_sleep: list[float]) -> None:
    async with HalfBodyServer(json.dumps(SENT).encode(), mode) as server:
        async with socket_client(api_key, server.url, max_retries=3) as client:
            with pytest.raises(ResponseValidationError) as caught:
                await send_message.asyncio(client=client, body=SMS)
        assert server.requests == 1
    check_processed(caught.value, SEND)


@pytest.mark.parametrize("mode", ["reset", "close", "stall"])
async def test_a_real_get_body_cut_off_is_retried(mode: str, api_key: str, no_sleep: list[float]) -> None:
    async with HalfBodyServer(json.dumps(STATUS).encode(), mode) as server:
        async with socket_client(api_key, server.url, max_retries=2) as client:
            with pytest.raises(HeroError) as caught:
                await get_message_status.asyncio("1", client=client)
        assert server.requests == 3
    assert isinstance(caught.value, ResponseValidationError | APIConnectionError), type(caught.value)
    assert_no_values(caught.value)


# --- forward compatibility is kept ---


async def test_unknown_enum_values_and_fields_in_an_answer_are_kept(api_key: str) -> None:
    answer = with_value(STATUS, "bounced", "status", "response")
    answer["status"]["carrier"] = "O2"
    answer["channel_v2"] = {"kind": "rcs"}
    recorder = Recorder(httpx.Response(200, json=answer))
    async with hero(api_key, recorder) as client:
        status = await get_message_status.asyncio("1", client=client)
    assert status.status.response == "bounced"
    assert status.status.additional_properties == {"carrier": "O2"}
    assert status.additional_properties == {"channel_v2": {"kind": "rcs"}}


async def test_answers_are_not_held_to_request_constraints(api_key: str) -> None:
    """Patterns, minLength and closed enums are for what we send; an answer that stretches them still parses."""
    admin = ADMIN | {"id": "adm-12", "first_name": ""}
    recorder = Recorder(httpx.Response(200, json={"data": [admin], "count": 1}))
    async with hero(api_key, recorder) as client:
        admins = await list_admins.asyncio(client=client)
    assert admins.data[0].id == "adm-12"


async def test_an_empty_object_is_a_valid_slot(api_key: str) -> None:
    """``BookingSlot`` has no required field: ``{}`` parses, it is not a fault for this model."""
    recorder = Recorder(httpx.Response(200, json={}))
    async with hero(api_key, recorder) as client:
        slot = await get_slot.asyncio("1", client=client)
    assert slot.additional_properties == {}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_the_escape_hatch_does_not_resend_a_post_cut_off(
    method: str, api_key: str, no_sleep: list[float]
) -> None:
    recorder = Recorder(broken(SENT, "reset"), httpx.Response(200, json=SENT))
    async with hero(api_key, recorder, max_retries=3) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.request(method, "/v1/appointments/12/book", json={"slot": "1"})
    assert len(recorder.requests) == 1
    assert caught.value.request_processed is True
    assert "do not resend" in str(caught.value)
    assert isinstance(caught.value.response, httpx.Response)
    assert_no_values(caught.value)


async def test_the_escape_hatch_retries_a_get_cut_off(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(broken(STATUS, "reset"), httpx.Response(200, json=STATUS))
    async with hero(api_key, recorder) as client:
        response = await client.request("GET", "/v1/messages/1/status")
    assert response.json() == STATUS
    assert len(recorder.requests) == 2


async def test_a_response_validation_error_survives_pickling(api_key: str) -> None:
    """Task queues and process pools pickle exceptions; the "do not resend" signal must survive the trip."""
    recorder = Recorder(httpx.Response(200, json=without(SENT, "content")))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await SEND.call(client)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, ResponseValidationError)
    assert copy.request_processed is True
    assert str(copy) == str(caught.value)


async def test_group_methods_raise_response_validation_errors_too(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.Response(200, json=without(SENT, "content")))
    async with hero(api_key, recorder, max_retries=3) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.messages.send_message(patient_id="943", message_type="sms", message_string="hi")
        with pytest.raises(ResponseValidationError) as raw:
            await client.messages.send_message.raw(patient_id="943", message_type="sms", message_string="hi")
    check_processed(caught.value, SEND)
    check_processed(raw.value, SEND)
    assert len(recorder.requests) == 2  # one per call: neither was resent


@pytest.mark.parametrize("failure", ["reset", "stalled"])
async def test_group_iterators_retry_a_page_cut_off(failure: str, api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(
        broken({"data": [ADMIN], "count": 1}, failure), httpx.Response(200, json={"data": [ADMIN], "count": 1})
    )
    async with hero(api_key, recorder) as client:
        admins = [admin async for admin in client.admin.iter_admins()]
    assert [a.id for a in admins] == ["12"]
    assert len(recorder.requests) == 2


async def test_group_method_empty_200_carries_the_http_response(api_key: str) -> None:
    recorder = Recorder(httpx.Response(200))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.messages.get_message_status("1")
    check_processed(caught.value, STATUS_GET)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        (
            ADMINS,
            {"data": [ADMIN, without(ADMIN, "external_prescriber_id")], "count": 2},
            "data[1].external_prescriber_id",
        ),
        (STATUS_GET, with_value(STATUS, "tomorrow", "status", "sent_at"), "status.sent_at"),
    ],
    ids=["list-row", "nested-object"],
)
async def test_nested_answer_paths_name_the_item_and_the_field(
    endpoint: Endpoint, body: dict[str, Any], field: str, api_key: str
) -> None:
    recorder = Recorder(httpx.Response(200, json=body))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await endpoint.call(client)
    assert caught.value.field == field
    assert f"{endpoint.model}.{field}" in str(caught.value)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("endpoint", [SEND, STATUS_GET], ids=lambda e: e.name)
async def test_a_2xx_body_that_does_not_decompress(
    endpoint: Endpoint, encoding: str, api_key: str, no_sleep: list[float]
) -> None:
    """A proxy's ``Content-Encoding`` the body does not match: httpx raises DecodingError, not a TransportError."""
    headers = {"content-encoding": encoding, "content-type": JSON}
    # A stream, not content=: httpx would decode content= at once, in the test instead of in the client.
    recorder = Recorder(httpx.Response(200, headers=headers, stream=httpx.ByteStream(FAKE_NAME.encode())))
    async with hero(api_key, recorder) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await endpoint.call(client)
    assert caught.value.request_processed is True
    assert "do not resend" in str(caught.value)
    assert_no_values(caught.value)
    if endpoint is SEND:
        assert len(recorder.requests) == 1


@pytest.mark.parametrize("status", [400, 404, 500])
async def test_an_error_body_that_does_not_decompress_is_still_a_hero_error(
    status: int, api_key: str, no_sleep: list[float]
) -> None:
    headers = {"content-encoding": "gzip", "content-type": JSON}
    recorder = Recorder(httpx.Response(status, headers=headers, stream=httpx.ByteStream(b"not gzip")))
    async with hero(api_key, recorder, max_retries=0) as client:
        with pytest.raises(HeroError) as caught:
            await SEND.call(client)
    assert getattr(caught.value, "status_code", None) == status
    assert len(recorder.requests) == 1
