"""Ways to mention secrets and URLs in logs and errors without revealing them."""

from __future__ import annotations

import hashlib
import logging
import re

import httpx

_LITERAL_SEGMENT = re.compile(r"^(v\d+|[a-z_-]+)$")


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible tag for ``secret`` (first 8 hex digits of its SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def path_template(path: str) -> str:
    """``path`` with every segment that could be an identifier replaced by ``{id}``.

    Used where the route template is not known (the raw-request escape hatch): ``/v1/patients/123/merge`` becomes
    ``/v1/patients/{id}/merge``. Only lower-case words without digits survive, so ids, NHS numbers and names
    never reach a log line.
    """
    segments = path.split("?", 1)[0].split("/")
    return "/".join(s if not s or _LITERAL_SEGMENT.match(s) else "{id}" for s in segments)


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


_httpx_filter = RedactHTTPXRequestLog()


def redact_httpx_logs_for(host: str) -> None:
    """Make httpx's request log line for ``host`` show route templates instead of concrete URLs."""
    if host not in _httpx_filter.hosts:
        _httpx_filter.hosts.add(host)
        httpx_logger = logging.getLogger("httpx")
        if _httpx_filter not in httpx_logger.filters:
            httpx_logger.addFilter(_httpx_filter)
