"""Every JSON example in Hero's documentation, checked against openapi.yaml and the generated models.

The documentation excerpts (``../shared/hero-api-docs`` beside the repository) are the only facts this SDK has about
the API, and their JSON examples are the closest thing to real traffic. Each distinct example is mapped, in the
tables below, to what it illustrates: an operation's request or answer, or a schema of its own (webhook payloads,
pieces of a cut-off answer). Then:

- it must validate against that schema in openapi.yaml;
- a request must parse into its generated model, pass ``attrs.validate``, serialise back to exactly the example, and
  go on the wire as exactly the example;
- an answer must come back from the generated endpoint function as the model (for a union, the member that declares
  its keys) and serialise back to exactly the example.

The few examples that illustrate no operation of the spec are listed in ``NOT_AN_OPERATION_BODY`` with the reason.
An example found in the documents but in none of the tables fails ``test_every_example_is_mapped``, so a new
example cannot go unchecked.

Two of Redocly's rendering habits are not Hero's data and are set aside: a string field with no example shows
as ``"string"`` whatever its pattern (schema validation lets that one placeholder through a ``pattern``), and an
array's items may show collapsed as ``[{}]`` (such an item is dropped before checking; the list answers then check
their envelope). Round trips compare date-times as instants, so ``Z`` and ``+00:00`` are the same; a date stays a
date (``"1992-01-01"`` must not come back as ``"1992-01-01T00:00:00"``).
"""

from __future__ import annotations

import datetime
import importlib
import json
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from hero_health_client.generated.client import Client
from hero_health_client.generated.errors import RequestValidationError
from tests.conftest import REPO_ROOT
from tests.contract.spec_calls import ExampleMaker, Operation, call_arguments, hints, load_spec, operations

DOCS = REPO_ROOT.parent / "shared" / "hero-api-docs"
SPEC = load_spec()
MAKER = ExampleMaker(SPEC)
OPERATIONS = {op.operation_id: op for op in operations(SPEC)}
MODELS = "hero_health_client.generated.models"
PLACEHOLDER = "string"  # Redocly's stand-in for a string field without an example

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason=f"Hero's documentation excerpts are not at {DOCS}")


# --- finding the examples ---


@dataclass
class Example:
    label: str  # "<file>#<n>": the n-th example first seen in that file (files in sorted order)
    value: dict[str, Any]
    found_in: list[str]


_BULLET = re.compile(r"(?m)(?:^|(?<=[{\[]))[ \t]*[•-] ")  # Redocly's expanded view: "• key" or "- key" per line


def _balanced(text: str, start: int) -> str | None:
    """The bracketed text opening at ``start`` (strings respected), or None when it is cut off."""
    depth, in_string, escaped = 0, False, False
    for end in range(start, len(text)):
        char = text[end]
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[start : end + 1]
    return None


def _parse(block: str) -> Any:
    try:
        return json.loads(block)
    except ValueError:
        return json.loads(_BULLET.sub("", block.replace("•", "")))


def _objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in ``text``, outermost first; inside a cut-off object, the complete objects it holds."""
    position = 0
    while (start := text.find("{", position)) != -1:
        block = _balanced(text, start)
        value = None
        if block is not None:
            try:
                value = _parse(block)
            except ValueError:
                value = None
        if isinstance(value, dict):
            yield value
            position = start + len(block or "")
        else:
            position = start + 1


def find_examples(root: Path) -> dict[str, Example]:
    """Distinct examples (equal JSON counts once), labelled by the file that shows them first."""
    by_value: dict[str, Example] = {}
    for path in sorted(root.rglob("*.txt")):
        name = path.relative_to(root).as_posix()
        count = 0
        for value in _objects(path.read_text(encoding="utf-8")):
            key = json.dumps(value, sort_keys=True)
            if key in by_value:
                if name not in by_value[key].found_in:
                    by_value[key].found_in.append(name)
                continue
            count += 1
            by_value[key] = Example(f"{name}#{count}", value, [name])
    return {example.label: example for example in by_value.values()}


# --- what each example illustrates ---


@dataclass(frozen=True)
class Use:
    """An example's place in the spec: ``role`` is request, response or schema (a component schema by name)."""

    role: str
    name: str
    model: str | None = None  # for a union: the member the example must come back as

    def __str__(self) -> str:
        return f"{self.role} {self.name}" + (f" as {self.model}" if self.model else "")


def req(operation_id: str, model: str | None = None) -> Use:
    return Use("request", operation_id, model)


def resp(operation_id: str, model: str | None = None) -> Use:
    return Use("response", operation_id, model)


def schema(name: str) -> Use:
    return Use("schema", name)


EXAMPLES: dict[str, tuple[Use, ...]] = {
    "a-practice-admin/createaccesstoken.txt#1": (resp("createAccessToken"),),
    "a-practice-admin/getcapabilities.txt#1": (resp("getCapabilities"),),
    "a-practice-admin/getheiditoken.txt#1": (resp("getHeidiToken"),),
    # {"data": [{}], "count": 0}: the list answers render their items collapsed
    "a-practice-admin/listadmins.txt#1": (
        resp("listAdmins"),
        resp("listPrescriberPharmacies"),
        resp("listForms"),
        resp("listCoupons"),
        resp("listCustomers"),
    ),
    "a-practice-admin/listadmins.txt#2": (req("updateAdmin"),),
    "a-practice-admin/listadmins.txt#3": (resp("updateAdmin"),),
    # the credentials object inside a cut-off updatePracticeGroup request
    "a-practice-admin/updatepracticegroup.txt#1": (schema("PracticeGroupPrescriptionPartnerCredentials"),),
    "b-patients-messages/connectpatientehr.txt#1": (req("connectPatientEhr"),),
    "b-patients-messages/connectpatientehr.txt#2": (
        req("previewPatientMerge"),
        resp("registerPatient"),
        resp("registerPatientPds", "RegisterPatientPdsRegistered"),
    ),
    "b-patients-messages/createbatchmessage.txt#1": (req("createBatchMessage"),),
    "b-patients-messages/createbatchmessage.txt#2": (resp("createBatchMessage"), resp("getBatchMessage")),
    "b-patients-messages/createnote.txt#1": (req("createNote"),),
    # the admin inside a cut-off createNote answer
    "b-patients-messages/createnote.txt#2": (schema("NoteAdmin"),),
    # the complete objects inside a cut-off getMessage answer
    "b-patients-messages/getmessage.txt#1": (schema("MessagePatientSummary"),),
    "b-patients-messages/getmessage.txt#2": (schema("MessageWriteToRecordDetails"),),
    "b-patients-messages/getmessage.txt#3": (schema("MessageShortLink"),),
    "b-patients-messages/getmessage.txt#4": (schema("MessageCampaign"),),
    "b-patients-messages/registerpatient.txt#1": (req("registerPatient"),),
    "b-patients-messages/registerpatientpds.txt#1": (req("registerPatientPds", "RegisterPatientPdsByDemographics"),),
    "b-patients-messages/registerpatientpds.txt#2": (req("registerPatientPds", "RegisterPatientPdsByNhsNumber"),),
    "b-patients-messages/registerpatientpds.txt#3": (resp("registerPatientPds", "RegisterPatientPdsRegistered"),),
    "b-patients-messages/registerpatientpds.txt#4": (
        resp("registerPatientPds", "RegisterPatientPdsVerificationRequired"),
    ),
    "b-patients-messages/registerpatientpds.txt#5": (req("registerPatientPds", "RegisterPatientPdsByNhsNumber"),),
    "b-patients-messages/registerpatientpds.txt#6": (req("sendMessage"),),
    "b-patients-messages/registerpatientpds.txt#7": (req("sendMessage"),),
    "b-patients-messages/registerpatientpds.txt#8": (resp("sendMessage"),),
    "b-patients-messages/registerpatientpds.txt#9": (req("registerPatientPds", "RegisterPatientPdsByNhsNumber"),),
    "b-patients-messages/registerpatientpds.txt#10": (req("sendMessage"),),
    "b-patients-messages/sendmessage.txt#1": (req("sendMessage"),),
    "c-booking/bookappointment.txt#1": (resp("getAppointment"),),
    "c-booking/bookappointment.txt#2": (req("editAppointment"),),
    "c-booking/createappointment.txt#1": (req("editAppointment"),),
    "c-booking/createbookinglink.txt#1": (req("createAttachmentLink"),),
    "c-booking/createbookinglink.txt#2": (resp("createAttachmentLink"),),
    "c-booking/getslot.txt#1": (resp("getSlot"),),
    "c-booking/listappointments.txt#1": (req("checkSlotAvailability"),),
    "c-booking/listappointments.txt#2": (resp("checkSlotAvailability"),),
    "c-booking/noslug-cancel-appointment.txt#1": (req("cancelAppointment"),),
    "d-care-forms-tasks/createpharmacy.txt#1": (req("createPharmacy"),),
    "d-care-forms-tasks/createpharmacy.txt#2": (resp("createPharmacy"),),
    "d-care-forms-tasks/noslug__GET__v1_form_response_id.txt#1": (resp("getFormResponse"),),
    "d-care-forms-tasks/noslug__GET__v2_tasks_id.txt#1": (req("updateTask"),),
    "d-care-forms-tasks/noslug__GET__v2_tasks_id.txt#2": (resp("updateTask"),),
    "e-webhooks-invoicing/createcustomer.txt#1": (req("createCustomer"),),
    "e-webhooks-invoicing/createcustomer.txt#2": (req("createCustomer"),),
    "e-webhooks-invoicing/createcustomer.txt#3": (resp("createCustomer"), resp("getDefaultCustomer")),
    "e-webhooks-invoicing/createmembershippolicy.txt#1": (req("linkInvoice"),),
    "e-webhooks-invoicing/createwebhook.txt#1": (req("createWebhook"),),
    "e-webhooks-invoicing/createwebhook.txt#2": (resp("createWebhook"),),
    "e-webhooks-invoicing/webhook-events-asyncapi.txt#1": (schema("AppointmentConfirmedEvent"),),
    "e-webhooks-invoicing/webhook-events-asyncapi.txt#2": (schema("AppointmentRescheduledEvent"),),
    "e-webhooks-invoicing/webhook-events-asyncapi.txt#3": (schema("AppointmentCancelledEvent"),),
    "e-webhooks-invoicing/webhook-events-asyncapi.txt#4": (schema("FormSubmissionCreatedEvent"),),
    "e-webhooks-invoicing/webhook-events-asyncapi.txt#5": (schema("PrescriptionIssuedEvent"),),
    "seeds/000_04c8dae0111f8938.txt#1": (resp("getPracticeGroupById"),),
    "seeds/000_04c8dae0111f8938.txt#7": (schema("GdprRestrictionError"),),
    "seeds/001_d32df3d13e5cf21d.txt#1": (req("sendMessage"),),
    "seeds/001_d32df3d13e5cf21d.txt#2": (resp("getMessageStatus"),),
    "seeds/001_d32df3d13e5cf21d.txt#3": (resp("listMessageAssignees"),),
}  # fmt: skip

NOT_AN_OPERATION_BODY: dict[str, str] = {
    "b-patients-messages/sendmessage.txt#2": "the older reference's bare answer sample ({message_id} alone); the "
    "newer rendering's field list, which requires content, created_at and write_to_record, wins",
    "a-practice-admin/unknown-slug__GET_v1_me_elements.txt#1": "the collapsed item `{}` of a cut-off listElements "
    "answer: a rendering placeholder, not an element",
    "c-booking/createbookinglink.txt#3": "Create a booking link (guide step 5): its method and path are not documented",
    "e-webhooks-invoicing/createwebhook.txt#3": "the webhook-security guide's sketch of signing_key; it names the "
    "event `event` and `appointment.created`, unlike the Create Webhook reference (`event_type`, 8 events)",
    "seeds/000_04c8dae0111f8938.txt#2": "core-concepts guide: who the caller is; no operation returns it",
    "seeds/000_04c8dae0111f8938.txt#3": "core-concepts guide: what an appointment is (`duration_minutes`, `status`); "
    "the appointment operations document other fields",
    "seeds/000_04c8dae0111f8938.txt#4": "core-concepts guide: timestamps are ISO 8601 UTC",
    "seeds/000_04c8dae0111f8938.txt#5": "core-concepts guide: how addresses look",
    "seeds/000_04c8dae0111f8938.txt#6": "core-concepts guide: NHS identifiers",
}

EXPECTED_COUNT = 68  # distinct examples in the excerpts: len(EXAMPLES) + len(NOT_AN_OPERATION_BODY)

FOUND = find_examples(DOCS) if DOCS.is_dir() else {}
CASES = [(label, use) for label, uses in EXAMPLES.items() for use in uses]


def test_every_example_is_mapped() -> None:
    """Each example of the documents is in exactly one table, and no table names an example that is gone."""
    assert len(FOUND) == EXPECTED_COUNT, f"found {len(FOUND)} distinct JSON examples, expected {EXPECTED_COUNT}"
    assert set(EXAMPLES).isdisjoint(NOT_AN_OPERATION_BODY)
    unmapped = sorted(set(FOUND) - set(EXAMPLES) - set(NOT_AN_OPERATION_BODY))
    assert not unmapped, "examples with no entry in EXAMPLES or NOT_AN_OPERATION_BODY:\n" + "\n".join(
        f"  {label}: {json.dumps(FOUND[label].value)[:200]}" for label in unmapped
    )
    stale = sorted((set(EXAMPLES) | set(NOT_AN_OPERATION_BODY)) - set(FOUND))
    assert not stale, f"table entries whose example is no longer in the documents: {stale}"


def test_the_extractor_reads_every_rendering() -> None:
    """Inline objects, curl bodies and Redocly's bulleted expanded view are all read; prose braces are not."""
    text = (
        'curl -d \'{\n"a": 1\n}\'{ "b": [ {} ] }\n'
        '{- "c": "x",\n- "d": false\n}\n'
        '{\n  • "e": "2026-01-01",\n  • "f": null\n}\n'
        'GET /v1/items/{id} and { data } and a cut one: { "g": { "h": 1 }, "i": '
    )
    assert list(_objects(text)) == [
        {"a": 1},
        {"b": [{}]},
        {"c": "x", "d": False},
        {"e": "2026-01-01", "f": None},
        {"h": 1},
    ]


# --- checking one example ---


def _without_collapsed_items(value: Any) -> Any:
    """``value`` with Redocly's collapsed array items (``{}``) left out."""
    if isinstance(value, dict):
        return {key: _without_collapsed_items(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_collapsed_items(item) for item in value if item != {}]
    return value


def _instant(value: str) -> datetime.datetime | None:
    if "T" not in value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _same(got: Any, want: Any) -> bool:
    """JSON equality, except that two date-time strings naming the same instant (and offset) are equal."""
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[key], want[key]) for key in want)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(got, str) and isinstance(want, str) and got != want:
        first, second = _instant(got), _instant(want)
        return first is not None and second is not None and first == second and first.utcoffset() == second.utcoffset()
    return type(got) is type(want) and got == want


def test_round_trip_comparison() -> None:
    """The comparison forgives only the spelling of a UTC offset, never a date turned into a date-time."""
    assert _same({"a": "2019-08-24T14:15:22+00:00"}, {"a": "2019-08-24T14:15:22Z"})
    assert not _same({"a": "1992-01-01T00:00:00"}, {"a": "1992-01-01"})
    assert not _same({"a": "2019-08-24T15:15:22+01:00"}, {"a": "2019-08-24T14:15:22Z"})
    assert not _same({"a": 1}, {"a": True})
    assert not _same({"a": 1}, {"a": 1, "b": None})
    assert _without_collapsed_items({"data": [{}], "count": 0}) == {"data": [], "count": 0}


def _schema_for(use: Use) -> dict[str, Any]:
    if use.role == "schema":
        return {"$ref": f"#/components/schemas/{use.name}"}
    op = OPERATIONS[use.name]
    if use.role == "request":
        assert op.body_schema is not None, f"{use}: the operation takes no body"
        return dict(op.body_schema)
    (code,) = [c for c in SPEC_PATHS[use.name]["responses"] if c.startswith("2")]
    found: dict[str, Any] = SPEC_PATHS[use.name]["responses"][code]["content"]["application/json"]["schema"]
    return found


SPEC_PATHS = {op["operationId"]: op for item in SPEC["paths"].values() for op in item.values() if "operationId" in op}


def _schema_errors(value: Any, schema_: dict[str, Any]) -> list[str]:
    """Why ``value`` breaks ``schema_``, leaving out the renderer's ``"string"`` placeholder against a pattern."""
    from jsonschema import Draft202012Validator

    root = {**schema_, "components": SPEC["components"]}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = []
    for error in validator.iter_errors(value):
        leaves = error.context if error.validator in ("anyOf", "oneOf") and error.context else [error]
        if all(leaf.validator == "pattern" and leaf.instance == PLACEHOLDER for leaf in leaves):
            continue
        problems.append(f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
    return problems


def _model(name: str) -> Any:
    return getattr(importlib.import_module(MODELS), name)


def _members(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [a for a in args if hasattr(a, "from_dict")] if args else [annotation]


def _request_model(use: Use, op: Operation) -> Any:
    members = _members(hints(op.module().asyncio_detailed)["body"])
    if use.model is not None:
        (model,) = [m for m in members if m.__name__ == use.model]
        return model
    assert len(members) == 1, f"{use}: the body is a union of {members}; name the member in EXAMPLES"
    return members[0]


def _answer_client(status: int, body: dict[str, Any] | None, sent: list[httpx.Request]) -> Client:
    """A generated client whose every request is recorded in ``sent`` and answered with ``body``."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status) if body is None else httpx.Response(status, json=body)

    return Client("https://hero.invalid", httpx_args={"transport": httpx.MockTransport(answer)})


@pytest.mark.parametrize(("label", "use"), CASES, ids=[f"{label}:{use}" for label, use in CASES])
async def test_example(label: str, use: Use) -> None:
    example = _without_collapsed_items(FOUND[label].value)
    problems = _schema_errors(example, _schema_for(use))
    assert not problems, f"{label} does not validate as the {use}: {problems}"

    if use.role == "schema":
        parsed = _model(use.name).from_dict(example)
        assert _same(parsed.to_dict(), example), f"{label}: {use.name} does not give the example back"
        return

    op = OPERATIONS[use.name]
    sent: list[httpx.Request] = []
    if use.role == "request":
        model = _request_model(use, op)
        body = model.from_dict(example)
        try:
            attrs.validate(body)
        except RequestValidationError as exc:  # the renderer's placeholder meets a pattern, as in _schema_errors
            if not (exc.value == PLACEHOLDER and exc.expected.startswith("a string matching")):
                raise
        assert _same(body.to_dict(), example), f"{label}: {model.__name__} does not give the example back"
        kwargs = {**call_arguments(op, MAKER), "body": body}
        async with _answer_client(204, None, sent) as client:
            await op.module().asyncio_detailed(client=client, **kwargs)
        on_the_wire = json.loads(sent[0].content)
        assert _same(on_the_wire, example), f"{label}: the request on the wire differs from the example"
        return

    (code,) = [int(c) for c in SPEC_PATHS[use.name]["responses"] if c.startswith("2")]
    async with _answer_client(code, example, sent) as client:
        detailed = await op.module().asyncio_detailed(client=client, **call_arguments(op, MAKER))
    parsed = detailed.parsed
    expected = _members(hints(op.module().asyncio)["return"])
    if use.model is not None:
        assert type(parsed).__name__ == use.model, f"{label} parsed as {type(parsed).__name__}, not {use.model}"
    else:
        assert len(expected) == 1 and isinstance(parsed, expected[0]), f"{label} parsed as {type(parsed).__name__}"
    assert _same(parsed.to_dict(), example), f"{label}: {type(parsed).__name__} does not give the example back"
