"""Requests are checked when they are built, and path and query parameters before anything is sent.

A bad field raises ``RequestValidationError`` (a ``HeroError`` and a ``ValueError``) naming the field, what was
expected and the type received, never the value: ids, names and phone numbers are patient data. The failing inputs
below use distinctive values ("9431234567", a made-up name) so a leak into the text is easy to see. One failing input
per constraint kind the spec declares, taken from real fields of ``openapi.yaml``.
"""

from __future__ import annotations

import datetime
import json
import pickle
import re
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from hero_health_client import HeroClient, HeroError, NotFoundError, RequestValidationError
from hero_health_client.generated.api.admin import list_admins
from hero_health_client.generated.api.booking import cancel_appointment, get_slot
from hero_health_client.generated.api.episode import list_episodes
from hero_health_client.generated.api.invoicing import create_invoice, list_customers
from hero_health_client.generated.api.messages import list_batch_messages, send_message
from hero_health_client.generated.api.patients import get_patient_by_id, get_patient_by_id_v2
from hero_health_client.generated.api.practice_group import list_appointment_types
from hero_health_client.generated.models import (
    AdminPrescriberDetails,
    CreateAttachmentLinkRequest,
    CreateCustomerRequest,
    CreateInvoiceRequest,
    CreateWebhookRequest,
    EditAppointmentRequest,
    EpisodeStatus,
    InvoiceItemAttributes,
    ListAdminsOrderBy,
    MessageType,
    RegisterPatientPdsByNhsNumber,
    SendMessageRequest,
    SendMessageRequestFallbackMessageType,
    UpdateAdminRequest,
    WebhookEventType,
)
from hero_health_client.generated.types import UNSET
from tests.conftest import Recorder
from tests.contract.spec_calls import ExampleMaker, Operation, call_arguments, load_spec, operations, snake

PATIENT_NUMBER = "9431234567"  # looks like an NHS number: must never reach an error's text
FAKE_NAME = "Zebedee Quuxworthy"
AWARE = datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC)
NAIVE = datetime.datetime(2026, 3, 29, 1, 30)


def sms(**changes: Any) -> SendMessageRequest:
    """A valid SendMessageRequest with ``changes`` applied at construction."""
    fields: dict[str, Any] = {
        "patient_id": "943",
        "message_type": MessageType.SMS,
        "message_string": "Your appointment is at 9:30",
    }
    return SendMessageRequest(**(fields | changes))


def edit(**changes: Any) -> EditAppointmentRequest:
    fields: dict[str, Any] = {"start_time": AWARE, "duration": 15, "practitioner_id": "7"}
    return EditAppointmentRequest(**(fields | changes))


def error_texts(exc: BaseException) -> Iterator[str]:
    """Every text a traceback of ``exc`` would print about exceptions (the chain included), plus each repr."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield "".join(traceback.format_exception_only(type(current), current))
        yield repr(current)
        yield from (str(arg) for arg in current.args)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None


def assert_no_leak(exc: BaseException, *secrets: str) -> None:
    for text in error_texts(exc):
        for secret in secrets:
            assert secret not in text, f"the value {secret!r} leaked into an error text: {text!r}"


def assert_received(exc: RequestValidationError, type_name: str) -> None:
    """``received`` names the kind of value given by its type (``int``, ``NoneType``, ``a str that does not
    match``), never the value; an explicit UNSET may read as "nothing"."""
    accepted = ("Unset", "nothing") if type_name == "Unset" else (type_name,)
    assert any(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", exc.received) for name in accepted), exc.received


# (id, build, field, received, values that must not appear in any error text)
Case = tuple[str, Callable[[], object], str, str, tuple[str, ...]]
FAILING: list[Case] = [
    # type: an int is not a str (the issue's first example)
    ("str-given-int", lambda: sms(patient_id=9431234567), "SendMessageRequest.patient_id", "int", (PATIENT_NUMBER,)),
    (
        "str-given-bytes",
        lambda: sms(message_string=FAKE_NAME.encode()),
        "SendMessageRequest.message_string",
        "bytes",
        (FAKE_NAME,),
    ),
    # required: None and an explicit UNSET for a required, non-nullable field
    ("required-none", lambda: sms(message_string=None), "SendMessageRequest.message_string", "NoneType", ()),
    ("required-unset", lambda: sms(patient_id=UNSET), "SendMessageRequest.patient_id", "Unset", ()),
    ("required-none-number", lambda: edit(duration=None), "EditAppointmentRequest.duration", "NoneType", ()),
    # minLength: 1
    ("min-length", lambda: sms(message_string=""), "SendMessageRequest.message_string", "str", ()),
    ("min-length-optional", lambda: sms(attachment_uuid=""), "SendMessageRequest.attachment_uuid", "str", ()),
    (
        "min-length-nullable",
        lambda: UpdateAdminRequest(external_prescriber_id=""),
        "UpdateAdminRequest.external_prescriber_id",
        "str",
        (),
    ),
    # pattern: ^\d+$ (JSON Schema patterns are ECMA-262: $ is the end of the text, \d is ASCII 0-9)
    ("pattern-name", lambda: sms(patient_id=FAKE_NAME), "SendMessageRequest.patient_id", "str", (FAKE_NAME,)),
    (
        "pattern-negative",
        lambda: sms(patient_id="-" + PATIENT_NUMBER),
        "SendMessageRequest.patient_id",
        "str",
        (PATIENT_NUMBER,),
    ),
    (
        "pattern-spaces",
        lambda: sms(patient_id="943 123 4567"),
        "SendMessageRequest.patient_id",
        "str",
        ("943 123 4567",),
    ),
    (
        "pattern-trailing-newline",
        lambda: sms(patient_id=PATIENT_NUMBER + "\n"),
        "SendMessageRequest.patient_id",
        "str",
        (PATIENT_NUMBER,),
    ),
    (
        "pattern-non-ascii-digits",
        lambda: sms(patient_id="\u0669\u0664\u0663"),
        "SendMessageRequest.patient_id",
        "str",
        ("\u0669\u0664\u0663",),
    ),
    ("pattern-empty", lambda: sms(patient_id=""), "SendMessageRequest.patient_id", "str", ()),
    (
        "pattern-other-model",
        lambda: edit(practitioner_id="dr-" + PATIENT_NUMBER),
        "EditAppointmentRequest.practitioner_id",
        "str",
        (PATIENT_NUMBER,),
    ),
    # format: date-time needs an aware datetime
    ("date-time-naive", lambda: sms(send_at=NAIVE), "SendMessageRequest.send_at", "datetime", ()),
    ("date-time-naive-nullable", lambda: edit(start_time=NAIVE), "EditAppointmentRequest.start_time", "datetime", ()),
    ("date-time-given-int", lambda: sms(send_at=1774747800), "SendMessageRequest.send_at", "int", ("1774747800",)),
    # format: date (a datetime is not a date; a string is not either)
    (
        "date-given-datetime",
        lambda: CreateAttachmentLinkRequest(expiry_date=AWARE),
        "CreateAttachmentLinkRequest.expiry_date",
        "datetime",
        (),
    ),
    (
        "date-given-str",
        lambda: CreateAttachmentLinkRequest(expiry_date="2026-03-29"),
        "CreateAttachmentLinkRequest.expiry_date",
        "str",
        (),
    ),
    (
        "date-or-date-time-naive",
        lambda: RegisterPatientPdsByNhsNumber(nhs_number="943 123 4567", dob=NAIVE),
        "RegisterPatientPdsByNhsNumber.dob",
        "datetime",
        ("943 123 4567",),
    ),
    # number: JSON has no NaN or infinity
    ("number-nan", lambda: sms(assignee_id=float("nan")), "SendMessageRequest.assignee_id", "float", ()),
    ("number-infinite", lambda: edit(duration=float("inf")), "EditAppointmentRequest.duration", "float", ()),
    (
        "email-trailing-newline",
        lambda: CreateCustomerRequest(name="x", email="zq@example.com\n"),
        "CreateCustomerRequest.email",
        "str",
        ("zq@example.com",),
    ),
    (
        "uri-no-scheme",
        lambda: CreateWebhookRequest(event_type="appointment.confirmed", url="example.com/hooks"),
        "CreateWebhookRequest.url",
        "str",
        ("example.com/hooks",),
    ),
    # format: email / format: uri
    (
        "email",
        lambda: CreateCustomerRequest(name="x", email="zebedee.quuxworthy"),
        "CreateCustomerRequest.email",
        "str",
        ("zebedee.quuxworthy",),
    ),
    (
        "email-nested-model",
        lambda: AdminPrescriberDetails(email=FAKE_NAME),
        "AdminPrescriberDetails.email",
        "str",
        (FAKE_NAME,),
    ),
    (
        "uri",
        lambda: CreateWebhookRequest(event_type=WebhookEventType.APPOINTMENT_CONFIRMED, url=FAKE_NAME),
        "CreateWebhookRequest.url",
        "str",
        (FAKE_NAME,),
    ),
    # enums: an unknown string, the wrong case, the wrong type
    (
        "enum-unknown",
        lambda: sms(message_type="pigeon-" + PATIENT_NUMBER),
        "SendMessageRequest.message_type",
        "str",
        (PATIENT_NUMBER,),
    ),
    ("enum-case", lambda: sms(message_type="SMS"), "SendMessageRequest.message_type", "str", ()),
    ("enum-int", lambda: sms(message_type=1), "SendMessageRequest.message_type", "int", ()),
    (
        "enum-inline",
        lambda: sms(fallback_message_type="nhs_app"),
        "SendMessageRequest.fallback_message_type",
        "str",
        (),
    ),
    ("enum-none", lambda: sms(message_type=None), "SendMessageRequest.message_type", "NoneType", ()),
    # boolean: neither 1 nor "true"
    ("boolean-given-int", lambda: sms(write_to_record=1), "SendMessageRequest.write_to_record", "int", ()),
    ("boolean-given-str", lambda: sms(write_to_record="true"), "SendMessageRequest.write_to_record", "str", ()),
    ("boolean-or-string-given-int", lambda: sms(encrypted=1), "SendMessageRequest.encrypted", "int", ()),
    # number: a bool is not a number, nor is a numeric string
    ("number-given-bool", lambda: sms(assignee_id=True), "SendMessageRequest.assignee_id", "bool", ()),
    (
        "number-given-str",
        lambda: sms(assignee_id=PATIENT_NUMBER),
        "SendMessageRequest.assignee_id",
        "str",
        (PATIENT_NUMBER,),
    ),
    ("number-required-given-str", lambda: edit(duration="15"), "EditAppointmentRequest.duration", "str", ()),
    # integer: not a bool, not a float, not a string
    ("integer-given-bool", lambda: InvoiceItemAttributes(quantity=True), "InvoiceItemAttributes.quantity", "bool", ()),
    ("integer-given-float", lambda: InvoiceItemAttributes(quantity=1.5), "InvoiceItemAttributes.quantity", "float", ()),
    ("integer-given-str", lambda: InvoiceItemAttributes(quantity="2"), "InvoiceItemAttributes.quantity", "str", ()),
    # nested model and array of models given the wrong type
    (
        "nested-model-given-str",
        lambda: UpdateAdminRequest(prescriber_details=FAKE_NAME),
        "UpdateAdminRequest.prescriber_details",
        "str",
        (FAKE_NAME,),
    ),
    (
        "array-given-model",
        lambda: CreateInvoiceRequest(issuer_id="1", invoice_items_attributes=InvoiceItemAttributes(quantity=1)),
        "CreateInvoiceRequest.invoice_items_attributes",
        "InvoiceItemAttributes",
        (),
    ),
]


@pytest.mark.parametrize(
    ("build", "field", "received", "secrets"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING]
)
def test_each_constraint_kind_refuses_a_bad_value(
    build: Callable[[], object], field: str, received: str, secrets: tuple[str, ...]
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        build()
    exc = caught.value
    assert isinstance(exc, HeroError) and isinstance(exc, ValueError)
    assert exc.field == field
    assert_received(exc, received)
    assert isinstance(exc.expected, str) and exc.expected.strip()
    text = str(exc)
    assert field in text and exc.received in text and exc.expected in text
    assert_no_leak(exc, *secrets)


def test_the_issue_examples_fail_at_construction_not_at_send_time() -> None:
    """The three inputs the issue reports going to the server unchanged (or failing late with AttributeError)."""
    for build in (
        lambda: SendMessageRequest(patient_id="943", message_type="sms", message_string=None),  # type: ignore[arg-type]
        lambda: SendMessageRequest(patient_id=943, message_type="sms", message_string="hi"),  # type: ignore[arg-type]
        lambda: sms(send_at=NAIVE),
    ):
        with pytest.raises(ValueError):  # RequestValidationError is a ValueError: plain `except ValueError` works
            build()


def test_an_unknown_enum_string_is_refused_listing_the_allowed_values() -> None:
    with pytest.raises(RequestValidationError) as caught:
        sms(message_type="whatsapp")
    for allowed in ("sms", "email", "hero", "nhs_app"):
        assert allowed in caught.value.expected
        assert allowed in str(caught.value)


def test_an_array_item_of_the_wrong_type_names_the_array() -> None:
    with pytest.raises(RequestValidationError) as caught:
        CreateInvoiceRequest(issuer_id="1", invoice_items_attributes=[InvoiceItemAttributes(quantity=1), FAKE_NAME])
    assert caught.value.field.startswith("CreateInvoiceRequest.invoice_items_attributes")
    assert_no_leak(caught.value, FAKE_NAME)


def test_an_array_item_given_as_a_dict_is_converted_or_refused_naming_the_nested_field() -> None:
    """A plain dict item either becomes the model (and its bad quantity is refused) or is refused itself."""
    with pytest.raises(RequestValidationError) as caught:
        CreateInvoiceRequest(issuer_id="1", invoice_items_attributes=[{"quantity": 1}, {"quantity": "many"}])
    assert "invoice_items_attributes" in caught.value.field or "quantity" in caught.value.field


def test_an_array_of_models_given_a_string_item_names_the_array() -> None:
    with pytest.raises(RequestValidationError) as caught:
        CreateInvoiceRequest(issuer_id="1", coupons=[FAKE_NAME])
    assert "coupons" in caught.value.field
    assert_no_leak(caught.value, FAKE_NAME)


# --- what is accepted ---


def test_an_enum_string_becomes_the_member() -> None:
    request = sms(message_type="email", fallback_message_type="sms")
    assert request.message_type is MessageType.EMAIL
    assert request.fallback_message_type is SendMessageRequestFallbackMessageType.SMS
    assert request.to_dict()["message_type"] == "email"


def test_a_pseudo_member_sends_a_value_newer_than_the_sdk_on_purpose() -> None:
    newer = MessageType("whatsapp")
    assert isinstance(newer, MessageType)
    request = sms(message_type=newer)
    assert request.to_dict()["message_type"] == "whatsapp"


@pytest.mark.parametrize(
    "when",
    [
        AWARE,
        datetime.datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=ZoneInfo("Europe/London")),
        datetime.datetime(2026, 3, 29, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
    ],
    ids=["utc", "london-fold", "fixed-offset"],
)
def test_an_aware_datetime_is_accepted_and_sent_with_its_offset(when: datetime.datetime) -> None:
    sent = sms(send_at=when).to_dict()["send_at"]
    # timestamps, not ==: an aware datetime in the repeated hour (fold=1) never equals one in another zone (PEP 495)
    assert datetime.datetime.fromisoformat(sent).timestamp() == when.timestamp()
    assert datetime.datetime.fromisoformat(sent).utcoffset() is not None


@pytest.mark.parametrize(
    "build",
    [
        lambda: sms(patient_id=PATIENT_NUMBER, message_string="x"),
        lambda: sms(patient_id="0"),
        lambda: sms(write_to_record=True, auto_write_to_record=False),
        lambda: sms(encrypted=True),
        lambda: sms(encrypted="aes"),
        lambda: sms(assignee_id=5),
        lambda: sms(assignee_id=5.5),
        lambda: sms(recipient_contact_detail=""),  # no minLength on this field
        lambda: edit(start_time=None),  # nullable date-time
        lambda: edit(start_time=datetime.date(2026, 3, 29)),  # date or date-time
        lambda: RegisterPatientPdsByNhsNumber(nhs_number="1", dob=datetime.date(1992, 1, 1)),
        lambda: CreateAttachmentLinkRequest(expiry_date=datetime.date(2026, 4, 30)),
        lambda: UpdateAdminRequest(external_prescriber_id=None, prescriber_details=None),
        lambda: UpdateAdminRequest(prescriber_details=AdminPrescriberDetails(email="gp@example.com")),
        lambda: CreateCustomerRequest(name="x", email="patient@example.com"),
        lambda: CreateWebhookRequest(event_type="appointment.confirmed", url="https://example.com/hooks/hero"),
        lambda: CreateInvoiceRequest(issuer_id="1", invoice_items_attributes=[InvoiceItemAttributes(quantity=2)]),
        lambda: InvoiceItemAttributes(quantity=0, unit_amount=-5, unit_amount_in_pounds=1.25),
    ],
    ids=[
        "long-id",
        "zero-id",
        "booleans",
        "encrypted-bool",
        "encrypted-str",
        "number-int",
        "number-float",
        "empty-unconstrained",
        "nullable-date-time",
        "date-for-date-or-date-time",
        "date-for-dob",
        "date",
        "nullable",
        "nested-model",
        "email",
        "uri-and-enum-str",
        "array-of-models",
        "integers",
    ],
)
def test_valid_values_are_accepted(build: Callable[[], object]) -> None:
    built = build()
    assert built.to_dict() is not None  # type: ignore[attr-defined]


def test_from_dict_still_reads_values_newer_or_looser_than_the_spec() -> None:
    """Answers keep their tolerance: an unknown enum value and an unknown key survive; no content checks."""
    parsed = SendMessageRequest.from_dict(
        {"patient_id": "not-digits", "message_type": "whatsapp", "message_string": "", "new_field": 1}
    )
    assert parsed.message_type == "whatsapp"
    assert parsed.additional_properties == {"new_field": 1}


# --- assignment is checked too ---


@pytest.mark.parametrize(
    ("attribute", "value", "received"),
    [
        ("patient_id", 9431234567, "int"),
        ("patient_id", FAKE_NAME, "str"),
        ("message_string", "", "str"),
        ("message_string", None, "NoneType"),
        ("send_at", NAIVE, "datetime"),
        ("message_type", "fax", "str"),
        ("write_to_record", "yes", "str"),
    ],
)
def test_assignment_is_validated_and_leaves_the_old_value(attribute: str, value: object, received: str) -> None:
    request = sms(send_at=AWARE)
    before = getattr(request, attribute)
    with pytest.raises(RequestValidationError) as caught:
        setattr(request, attribute, value)
    assert caught.value.field == f"SendMessageRequest.{attribute}"
    assert_received(caught.value, received)
    assert getattr(request, attribute) == before
    assert_no_leak(caught.value, PATIENT_NUMBER, FAKE_NAME)


def test_assignment_converts_an_enum_string() -> None:
    request = sms()
    request.message_type = "email"  # type: ignore[assignment]
    assert request.message_type is MessageType.EMAIL


# --- path and query parameters: checked before any I/O ---

SPEC = load_spec()
MAKER = ExampleMaker(SPEC)
WITH_PATH_PARAMS = [op for op in operations(SPEC) if any(p["in"] == "path" for p in op.parameters)]
BAD_IDS = ["", ".", "..", "a/b", "/", "../" + PATIENT_NUMBER, PATIENT_NUMBER + "/.."]


def recorder_client(api_key: str) -> tuple[Recorder, HeroClient]:
    recorder = Recorder(httpx.Response(200, json={}))
    return recorder, HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None, max_retries=0)


def _path_param(op: Operation) -> str:
    return snake(next(p["name"] for p in op.parameters if p["in"] == "path"))


@pytest.mark.parametrize("bad", BAD_IDS, ids=["empty", "dot", "dotdot", "slash", "only-slash", "up", "trailing-up"])
@pytest.mark.parametrize("op", WITH_PATH_PARAMS, ids=lambda op: op.operation_id)
async def test_a_path_id_that_would_change_the_route_is_refused_before_sending(
    op: Operation, bad: str, api_key: str
) -> None:
    kwargs = call_arguments(op, MAKER)
    name = _path_param(op)
    kwargs[name] = bad
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError) as caught:
            await op.module().asyncio_detailed(client=hero, **kwargs)
    assert recorder.requests == []
    assert caught.value.field == f"{snake(op.operation_id)}.{name}"
    assert_received(caught.value, "str")
    assert isinstance(caught.value, HeroError) and isinstance(caught.value, ValueError)
    assert_no_leak(caught.value, PATIENT_NUMBER)


@pytest.mark.parametrize("op", WITH_PATH_PARAMS, ids=lambda op: op.operation_id)
async def test_a_path_id_that_is_not_a_string_is_refused(op: Operation, api_key: str) -> None:
    kwargs = call_arguments(op, MAKER)
    name = _path_param(op)
    kwargs[name] = 9431234567
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError) as caught:
            await op.module().asyncio_detailed(client=hero, **kwargs)
    assert recorder.requests == []
    assert_received(caught.value, "int")
    assert_no_leak(caught.value, PATIENT_NUMBER)


@pytest.mark.parametrize("good", ["943", "...", "a.b", "x-1_2~3"])
async def test_ordinary_ids_still_reach_their_route(good: str, api_key: str) -> None:
    recorder = Recorder(httpx.Response(404, json={"error": "not_found"}))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None, max_retries=0) as hero:
        with pytest.raises(NotFoundError):
            await get_patient_by_id.asyncio_detailed(good, client=hero)
        with pytest.raises(NotFoundError):
            await cancel_appointment.asyncio_detailed(good, client=hero)
    assert [r.url.raw_path.decode() for r in recorder.requests] == [
        f"/v1/patients/{good}",
        f"/v1/appointments/{good}/cancel",
    ]


PATTERNED_PATH_PARAMS = [
    (op, snake(p["name"]), p["schema"]["pattern"])
    for op in WITH_PATH_PARAMS
    for p in op.parameters
    if p["in"] == "path" and "pattern" in p.get("schema", {})
]


@pytest.mark.parametrize(
    ("op", "name", "pattern"), PATTERNED_PATH_PARAMS, ids=[f"{o.operation_id}.{n}" for o, n, _ in PATTERNED_PATH_PARAMS]
)
async def test_a_path_parameter_breaking_its_declared_pattern_is_refused(
    op: Operation, name: str, pattern: str, api_key: str
) -> None:
    """Empty while the spec declares no pattern on a path parameter; it covers any the spec gains."""
    assert pattern == r"^\d+$", "add a value that breaks this pattern"
    kwargs = call_arguments(op, MAKER) | {name: FAKE_NAME}
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError):
            await op.module().asyncio_detailed(client=hero, **kwargs)
    assert recorder.requests == []


QUERY_CASES: list[tuple[str, Callable[[HeroClient], Any], str, str]] = [
    (
        "enum-unknown",
        lambda h: list_admins.asyncio_detailed(client=h, order_by="last_name"),
        "list_admins.order_by",
        "str",
    ),
    (
        "enum-other",
        lambda h: get_patient_by_id_v2.asyncio_detailed("1", client=h, data_source="fhir"),
        "get_patient_by_id_v2.data_source",
        "str",
    ),
    (
        "enum-case",
        lambda h: list_batch_messages.asyncio_detailed(client=h, status="queued"),
        "list_batch_messages.status",
        "str",
    ),
    (
        "string-given-int",
        lambda h: list_admins.asyncio_detailed(client=h, page_index=0),
        "list_admins.page_index",
        "int",
    ),
    (
        "integer-given-str",
        lambda h: list_episodes.asyncio_detailed(client=h, page_index="0"),
        "list_episodes.page_index",
        "str",
    ),
    (
        "integer-given-bool",
        lambda h: list_episodes.asyncio_detailed(client=h, page_size=True),
        "list_episodes.page_size",
        "bool",
    ),
    (
        "boolean-given-str",
        lambda h: list_appointment_types.asyncio_detailed(client=h, has_availability="yes"),
        "list_appointment_types.has_availability",
        "str",
    ),
    (
        "required-none",
        lambda h: list_customers.asyncio_detailed(client=h, query=None),
        "list_customers.query",
        "NoneType",
    ),
    (
        "required-given-int",
        lambda h: list_customers.asyncio_detailed(client=h, query=9431234567),
        "list_customers.query",
        "int",
    ),
    (
        "array-given-str",
        lambda h: list_appointment_types.asyncio_detailed(client=h, location_ids="12,13"),
        "list_appointment_types.location_ids",
        "str",
    ),
]


@pytest.mark.parametrize(("call", "field", "received"), [c[1:] for c in QUERY_CASES], ids=[c[0] for c in QUERY_CASES])
async def test_a_bad_query_parameter_is_refused_before_sending(
    call: Callable[[HeroClient], Any], field: str, received: str, api_key: str
) -> None:
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError) as caught:
            await call(hero)
    assert recorder.requests == []
    assert caught.value.field == field
    assert_received(caught.value, received)
    assert_no_leak(caught.value, PATIENT_NUMBER)


async def test_an_array_query_parameter_with_a_bad_item_is_refused(api_key: str) -> None:
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError) as caught:
            await list_episodes.asyncio_detailed(client=hero, status=["open", "archived"])
    assert recorder.requests == []
    assert caught.value.field.startswith("list_episodes.status")


async def test_query_enum_strings_and_members_are_sent(api_key: str) -> None:
    recorder = Recorder(httpx.Response(404, json={"error": "not_found"}))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None, max_retries=0) as hero:
        with pytest.raises(NotFoundError):
            await list_admins.asyncio_detailed(client=hero, order_by="first_name", page_index="0")
        with pytest.raises(NotFoundError):
            await list_admins.asyncio_detailed(client=hero, order_by=ListAdminsOrderBy.FIRST_NAME)
    assert [dict(r.url.params) for r in recorder.requests] == [
        {"order_by": "first_name", "page_index": "0"},
        {"order_by": "first_name"},
    ]


async def test_an_array_query_parameter_takes_enum_strings_like_a_single_one(api_key: str) -> None:
    """``order_by="first_name"`` is accepted for a single enum; ``status=["open"]`` must be too."""
    recorder = Recorder(httpx.Response(404, json={"error": "not_found"}))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None, max_retries=0) as hero:
        with pytest.raises(NotFoundError):
            await list_episodes.asyncio_detailed(client=hero, page_index=0, status=["open", EpisodeStatus.CLOSED])
    assert recorder.requests[0].url.params.get_list("status[]") == ["open", "closed"]
    assert recorder.requests[0].url.params["page_index"] == "0"


async def test_get_slot_with_dot_does_not_list_slots(api_key: str) -> None:
    """The issue's example: ``get_patient_by_id(".")`` sent ``GET /v1/patients``; same shape here."""
    recorder, hero = recorder_client(api_key)
    async with hero:
        for bad in (".", ".."):
            with pytest.raises(RequestValidationError):
                await get_slot.asyncio(bad, client=hero)
            with pytest.raises(RequestValidationError):
                await get_patient_by_id.asyncio(bad, client=hero)
    assert recorder.requests == []


async def test_the_issue_request_built_from_plain_strings_is_sent(api_key: str) -> None:
    """``message_type="sms"`` used to fail at send time with AttributeError; now it is the member and goes out."""
    answer = {"message_id": "9", "content": "hi", "created_at": "2026-03-29T01:30:00Z", "write_to_record": False}
    recorder = Recorder(httpx.Response(200, json=answer))
    body = SendMessageRequest(patient_id="943", message_type="sms", message_string="hi")  # type: ignore[arg-type]
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        await send_message.asyncio(client=hero, body=body)
    sent = json.loads(recorder.requests[0].content)
    assert sent["message_type"] == "sms" and sent["patient_id"] == "943"


def test_a_date_is_sent_as_a_plain_date_where_the_spec_allows_one() -> None:
    assert edit(start_time=datetime.date(2026, 3, 29)).to_dict()["start_time"] == "2026-03-29"
    request = RegisterPatientPdsByNhsNumber(nhs_number="1", dob=datetime.date(1992, 1, 1))
    assert request.to_dict()["dob"] == "1992-01-01"
    assert CreateAttachmentLinkRequest(expiry_date=datetime.date(2026, 4, 30)).to_dict()["expiry_date"] == "2026-04-30"


def test_a_request_validation_error_survives_pickling_without_its_value() -> None:
    with pytest.raises(RequestValidationError) as caught:
        sms(patient_id=FAKE_NAME)
    data = pickle.dumps(caught.value)
    assert FAKE_NAME.encode() not in data
    copy = pickle.loads(data)
    assert isinstance(copy, RequestValidationError)
    assert (copy.field, copy.expected, copy.received) == (
        caught.value.field,
        caught.value.expected,
        caught.value.received,
    )


# --- the same through the resource groups (client.<tag>.<operation>, flat keyword arguments) ---


async def test_group_methods_refuse_the_issue_inputs_before_sending(api_key: str) -> None:
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError) as wrong_type:
            await hero.messages.send_message(patient_id=9431234567, message_type="sms", message_string="hi")  # type: ignore[arg-type]
        with pytest.raises(RequestValidationError) as naive:
            await hero.messages.send_message(patient_id="943", message_type="sms", message_string="hi", send_at=NAIVE)
        with pytest.raises(RequestValidationError) as unknown:
            await hero.messages.send_message(patient_id="943", message_type="whatsapp", message_string="hi")  # type: ignore[arg-type]
        with pytest.raises(RequestValidationError) as dot:
            await hero.patients.get_patient_by_id(".")
        with pytest.raises(RequestValidationError) as dotdot:
            await hero.booking.cancel_appointment.raw("..")
    assert recorder.requests == []
    assert wrong_type.value.field == "SendMessageRequest.patient_id"
    assert naive.value.field == "SendMessageRequest.send_at"
    assert unknown.value.field == "SendMessageRequest.message_type"
    assert dot.value.field == "get_patient_by_id.id"
    assert dotdot.value.field == "cancel_appointment.id"
    assert_no_leak(wrong_type.value, PATIENT_NUMBER)


async def test_group_iterators_check_their_arguments_before_sending(api_key: str) -> None:
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError):
            hero.admin.iter_admins(page_size=0)
        with pytest.raises(RequestValidationError):
            hero.admin.iter_admins(page_size=True)  # type: ignore[arg-type]
        with pytest.raises(RequestValidationError) as caught:
            async for _ in hero.admin.iter_admins(order_by="last_name"):  # type: ignore[arg-type]
                pass
    assert recorder.requests == []
    assert caught.value.field == "list_admins.order_by"


def test_nested_paths_name_the_item_index() -> None:
    with pytest.raises(RequestValidationError) as caught:
        CreateInvoiceRequest(issuer_id="1", invoice_items_attributes=[InvoiceItemAttributes(quantity=1), FAKE_NAME])
    assert caught.value.field == "CreateInvoiceRequest.invoice_items_attributes[1]"


def test_a_missing_required_argument_is_a_request_validation_error() -> None:
    with pytest.raises(RequestValidationError) as caught:
        SendMessageRequest(patient_id="943", message_type="sms")  # type: ignore[call-arg]
    assert caught.value.field == "SendMessageRequest.message_string"


async def test_an_item_appended_to_a_list_field_is_checked_before_sending(api_key: str) -> None:
    """``append`` is not assignment, so attrs never sees it; the body must still not fail at send time with an
    AttributeError naming no field (the issue's first complaint), nor go out half-serialised."""
    request = CreateInvoiceRequest(issuer_id="1", invoice_items_attributes=[])
    request.invoice_items_attributes.append({"quantity": 1})  # type: ignore[union-attr, arg-type]
    recorder, hero = recorder_client(api_key)
    async with hero:
        with pytest.raises(RequestValidationError) as caught:
            await create_invoice.asyncio_detailed(client=hero, body=request)
    assert recorder.requests == []
    assert caught.value.field.startswith("CreateInvoiceRequest.invoice_items_attributes")
