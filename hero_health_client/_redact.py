"""Ways to mention secrets, paths and headers in logs and errors without revealing them."""

from __future__ import annotations

import hashlib
import logging
import re
from contextvars import ContextVar
from functools import lru_cache

import httpx

# Error objects carry a copy of the request with the key masked (httpx masks only Authorization in its reprs).
from .generated.errors import SECRET_HEADERS, masked_request

__all__ = ["SECRET_HEADERS", "fingerprint", "masked_request", "path_template"]

# Literal path segments Hero's documentation shows for operations that openapi.yaml does not have yet (see the
# README's API coverage): known words, never data.
_DOCUMENTED_LITERALS = frozenset(
    {"book", "reschedule", "status", "bookinglinks", "booking-hca", "consultants", "subscribers", "tasks", "webhooks"}
)
# Response headers whose values httpcore's DEBUG log may keep: none of them can carry a path or an id.
_SAFE_HEADERS = frozenset(
    {"content-type", "content-length", "date", "retry-after", "connection", "transfer-encoding", "server", "vary"}
)


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible tag for ``secret`` (first 8 hex digits of its SHA-256), for display only."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


@lru_cache(maxsize=1)
def _spec_routes() -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    """The spec's path templates (split into segments) and every literal segment among them."""
    from .generated.api import OPERATIONS  # lazily: the table is cheap, but import-time cost is not wanted here

    templates = tuple(sorted({tuple(path.split("/")) for _, _, _, path in OPERATIONS}))
    literals = {s for template in templates for s in template if s and not s.startswith("{")}
    return templates, frozenset(literals | _DOCUMENTED_LITERALS)


def path_template(path: str) -> str:
    """``path`` as a route template, for logs and error text where the generated code did not name one.

    A path that fits one of the spec's templates becomes that template (``/v1/patients/943/merge`` ->
    ``/v1/patients/{id}/merge``; the literal parts must match exactly). Any other path keeps only the segments that
    are literal words of the spec's (or the documentation's) paths; every other segment, a surname or an NHS
    number alike, becomes ``{id}``.
    """
    segments = tuple(path.split("?", 1)[0].split("/"))
    templates, literals = _spec_routes()
    fits = [
        template
        for template in templates
        if len(template) == len(segments)
        and all(t == s or (t.startswith("{") and s) for t, s in zip(template, segments, strict=True))
    ]
    if fits:  # the most specific: /v1/invoicing/customers/default before /v1/invoicing/customers/{id}
        return "/".join(max(fits, key=lambda template: sum(not t.startswith("{") for t in template)))
    return "/".join(s if not s or s in literals else "{id}" for s in segments)


class RedactHTTPXRequestLog(logging.Filter):
    """Rewrites httpx's own INFO line ``HTTP Request: GET https://host/v1/patients/123?nhs_number=…`` so that
    requests to Hero show only the route template. Installed on the ``httpx`` logger by HeroClient."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 2 and isinstance(record.args[1], httpx.URL):
            url = record.args[1]
            if url.host in self.hosts:
                record.args = (record.args[0], f"{url.scheme}://{url.host}{path_template(url.path)}", *record.args[2:])
        return True


_HEADER_NAME = re.compile(rb"\(b'([!#$%&*+.^_`|~0-9A-Za-z-]+)', b")
_HEADERS_LINE = re.compile(r"^(\S*headers\.complete\s+return_value=)(.*)$", re.DOTALL)


# True while the SDK sends a request (HeroTransport sets it): httpcore's records do not name the host, so its header
# lines are rewritten only inside this scope, and another HTTP client of the process keeps its log as it was.
SDK_REQUEST: ContextVar[bool] = ContextVar("hero_sdk_request", default=False)


class RedactHTTPCoreHeaderLog(logging.Filter):
    """httpcore's DEBUG trace prints response headers (``receive_response_headers.complete return_value=(...)``),
    so a ``Location: /v1/patients/<id>`` would reach the log. Header lines keep the status and header names; only
    the values of a few harmless headers survive. httpcore's records do not name the host, so this applies to the
    header lines logged while the SDK sends (``SDK_REQUEST``), and to no other client's."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not SDK_REQUEST.get():
            return True
        message = record.getMessage()
        matched = _HEADERS_LINE.match(message)
        if matched is None:
            return True
        prefix, rest = matched.groups()
        status = re.match(r"\(b'[^']*', (\d+), ", rest)
        names = [name.decode() for name in _HEADER_NAME.findall(rest.encode(errors="replace"))]
        shown = []
        for name in names:
            value = _header_value(rest, name) if name.lower() in _SAFE_HEADERS else None
            shown.append(f"{name}: {value}" if value is not None else f"{name}: [redacted]")
        head = f"status={status.group(1)} " if status else ""
        record.msg = f"{prefix}{head}headers=[{', '.join(shown)}]" if names or status else f"{prefix}[redacted]"
        record.args = ()
        return True


def _header_value(rest: str, name: str) -> str | None:
    found = re.search(rf"\(b'{re.escape(name)}', b'([^'\\]*)'\)", rest)
    return found.group(1) if found else None


_httpx_filter = RedactHTTPXRequestLog()
_httpcore_filter = RedactHTTPCoreHeaderLog()
# Filters on a logger see only that logger's own records, not its children's: httpcore logs through these.
HTTPCORE_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy", "httpcore.socks")


def redact_httpx_logs_for(host: str) -> None:
    """Make httpx's request log line for ``host`` show route templates, and httpcore's header lines hide values."""
    if host not in _httpx_filter.hosts:
        _httpx_filter.hosts.add(host)
        httpx_logger = logging.getLogger("httpx")
        if _httpx_filter not in httpx_logger.filters:
            httpx_logger.addFilter(_httpx_filter)
        for name in HTTPCORE_LOGGERS:
            core_logger = logging.getLogger(name)
            if _httpcore_filter not in core_logger.filters:
                core_logger.addFilter(_httpcore_filter)
