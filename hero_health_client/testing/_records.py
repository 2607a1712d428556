"""What the fake saw: one record per request that reached it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Statuses with which Hero refuses a request before acting on it: nothing was sent, booked or changed.
REFUSED_STATUSES = frozenset({400, 401, 404, 429})


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it, and how it answered.

    ``route`` is the route template (``"POST /v1/messages/send"``), ``path_params`` the values of its
    placeholders, ``params`` the query (a list per name, as a query string may repeat one), ``json`` the parsed
    body (None when there was none or it was not JSON). ``status`` is the answer's status, or None when the fake
    dropped the connection or timed out instead; ``fault`` names an injected fault (``"status"``,
    ``"disconnect"``, ``"timeout"``, ``"malformed"``).
    """

    route: str
    method: str
    path: str
    path_params: dict[str, str]
    params: dict[str, list[str]]
    json: Any
    headers: dict[str, str] = field(repr=False)
    content: bytes = field(repr=False)
    status: int | None = None
    fault: str | None = None

    @property
    def refused(self) -> bool:
        """True when the fake refused the request before acting on it (400, 401, 404, 429)."""
        return self.status in REFUSED_STATUSES

    def param(self, name: str) -> str | None:
        """The (first) value of query parameter ``name``, or None."""
        values = self.params.get(name)
        return values[0] if values else None
