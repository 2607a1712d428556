"""Typed errors, and the mapping from an HTTP answer to one of them.

Messages name the status, Hero's error code, the method and the route template (``/v1/patients/{id}``), and for
validation errors the fields and what was expected. They never carry ids, bodies or keys: Hero's free-text
``message`` is kept on the exception's ``message`` attribute, not in its text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

# The base class and the validation errors live in the generated package, which raises them itself and never
# imports this wrapper; they are re-exported here with the rest.
from .generated.errors import HeroError, RequestValidationError, ResponseValidationError, UnexpectedStatus

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "FieldError",
    "GDPRRestrictionError",
    "HeroAPIError",
    "HeroError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseValidationError",
    "ServerError",
    "UnexpectedStatus",
    "ValidationError",
    "error_for_response",
]


class APIConnectionError(HeroError):
    """Hero could not be reached, or the connection failed mid-request."""


class APITimeoutError(APIConnectionError):
    """Hero did not answer within the client's timeout."""


@dataclass(frozen=True)
class FieldError:
    """One rejected field of a 400 answer: where (``path``), what was expected, and Hero's code."""

    path: tuple[str | int, ...]
    expected: str | None
    code: str | None

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.path) or "(body)"
        return f"{where}: expected {self.expected or '?'} ({self.code or 'invalid'})"


class HeroAPIError(HeroError):
    """Hero answered with an error status."""

    def __init__(
        self,
        *,
        status_code: int,
        error: str | None,
        message: str | None,
        response: httpx.Response | None,
        route: str,
        detail: str = "",
    ) -> None:
        self.status_code = status_code
        self.error = error
        self.message = message
        self.response = response
        self.route = route
        code = f" {error}" if error else ""
        super().__init__(f"HTTP {status_code}{code} from {route}{': ' + detail if detail else ''}")


class ValidationError(HeroAPIError):
    """400/422: Hero rejected the request; ``field_errors`` says which fields and why."""

    field_errors: tuple[FieldError, ...] = ()


class AuthenticationError(HeroAPIError):
    """401: the API key or practice group id was not accepted."""


class PermissionDeniedError(HeroAPIError):
    """403: the key may not do this."""


class GDPRRestrictionError(PermissionDeniedError):
    """The patient restricts these channels (``restrictions``, e.g. ``["sms", "email"]``): do not retry."""

    restrictions: tuple[str, ...] = ()


class NotFoundError(HeroAPIError):
    """404: no such resource for this practice group."""


class RateLimitError(HeroAPIError):
    """429: over the key's rate limit; ``retry_after`` is Hero's wait in seconds, when it gave one."""

    retry_after: float | None = None


class ServerError(HeroAPIError):
    """5xx: Hero failed. A POST that got one is not re-sent: it may have been processed."""


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content) if response.content else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _field_errors(body: dict[str, Any]) -> tuple[FieldError, ...]:
    issues = body.get("message")
    if not isinstance(issues, list):
        return ()
    found = []
    for issue in issues:
        if isinstance(issue, dict):
            path = issue.get("path")
            parts = tuple(p for p in path if isinstance(p, str | int)) if isinstance(path, list) else ()
            expected, code = issue.get("expected"), issue.get("code")
            found.append(
                FieldError(
                    parts, str(expected) if expected is not None else None, str(code) if code is not None else None
                )
            )
    return tuple(found)


def _mock_field_errors(response: httpx.Response) -> tuple[FieldError, ...]:
    """Field errors from Stoplight Prism's ``sl-violations`` header, which names what the local mock rejected.

    Each violation has a ``location`` such as ``["request", "body", "patient_id"]``; its ``message`` describes the
    rule (Prism does not echo the value).
    """
    header = response.headers.get("sl-violations")
    if not header:
        return ()
    try:
        violations = json.loads(header)
    except ValueError:
        return ()
    found = []
    for violation in violations if isinstance(violations, list) else ():
        if not isinstance(violation, dict):
            continue
        location = violation.get("location")
        parts = [p for p in location if isinstance(p, str | int)] if isinstance(location, list) else []
        if parts[:1] == ["request"]:
            parts = parts[2:] if parts[1:2] == ["body"] else parts[1:]
        message, code = violation.get("message"), violation.get("code")
        found.append(
            FieldError(
                tuple(parts),
                str(message) if isinstance(message, str) else None,
                str(code) if code is not None else None,
            )
        )
    return tuple(found)


def error_for_response(response: httpx.Response, *, route: str, retry_after: float | None = None) -> HeroAPIError:
    """The typed error for an error answer whose body has been read."""
    status = response.status_code
    body = _body(response)
    raw_error = body.get("error")
    error = raw_error if isinstance(raw_error, str) else None
    message = body.get("message") if isinstance(body.get("message"), str) else None
    common: dict[str, Any] = {"status_code": status, "error": error, "message": message, "response": response}

    if error == "gdpr_restriction":
        restrictions = tuple(r for r in body.get("restrictions") or () if isinstance(r, str))
        restricted = GDPRRestrictionError(
            **common, route=route, detail=f"patient restricts {', '.join(restrictions) or 'contact'}"
        )
        restricted.restrictions = restrictions
        return restricted
    if status in (400, 422):
        field_errors = _mock_field_errors(response) or _field_errors(body)
        validation = ValidationError(**common, route=route, detail="; ".join(map(str, field_errors)))
        validation.field_errors = field_errors
        return validation
    if status == 429:
        wait = f"retry after {retry_after:g}s" if retry_after is not None else ""
        limited = RateLimitError(**common, route=route, detail=wait)
        limited.retry_after = retry_after
        return limited
    by_status: dict[int, type[HeroAPIError]] = {
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
    }
    cls = by_status.get(status) or (ServerError if status >= 500 else HeroAPIError)
    return cls(**common, route=route)
