"""Routes: naming an operation (a group method, an ``Operation`` or ``"METHOD /path/{template}"``), and finding the
route template a concrete request path belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..generated._groups import BoundOperation, Operation

Target = BoundOperation[..., Any] | Operation[..., Any] | str
"""What names an operation: a group method, an unbound group method or a route string."""


def route_of(target: object) -> str:
    """``"POST /v1/messages/send"`` for ``hero.messages.send_message``, ``MessagesAPI.send_message`` or the string.

    A string is normalised (method upper-cased, query and trailing slash dropped) and may name a route the spec
    does not have, for operations reached through ``hero.request(...)``.
    """
    if isinstance(target, BoundOperation):
        return str(target.operation.route)
    if isinstance(target, Operation):
        return str(target.route)
    if isinstance(target, str):
        method, _, path = target.strip().partition(" ")
        path = path.strip().split("?", 1)[0]
        if not method or not path.startswith("/"):
            raise ValueError(f'a route is "METHOD /path/{{template}}", e.g. "POST /v1/messages/send"; got {target!r}')
        return f"{method.upper()} {path.rstrip('/') or '/'}"
    raise TypeError(
        "name an operation by its group method (hero.messages.send_message), its Operation "
        f"(MessagesAPI.send_message) or its route string; got {type(target).__name__}"
    )


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


class RouteTable:
    """Matches ``METHOD /concrete/path`` to a route template, segment by segment; literal segments win over
    placeholders, so ``/v1/messages/assignee/collection`` is not taken for ``/v1/messages/{id}/...``."""

    def __init__(self, routes: Iterable[str]) -> None:
        self._by_method: dict[str, list[tuple[str, list[str]]]] = {}
        for route in routes:
            self.add(route)

    def add(self, route: str) -> None:
        method, _, template = route.partition(" ")
        entries = self._by_method.setdefault(method, [])
        if all(existing != template for existing, _ in entries):
            entries.append((template, _segments(template)))

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The route and its path parameters for a request, or None when no route of ``method`` fits ``path``."""
        wanted = _segments(path)
        best: tuple[int, str, dict[str, str]] | None = None
        for template, parts in self._by_method.get(method.upper(), ()):
            if len(parts) != len(wanted):
                continue
            params: dict[str, str] = {}
            literal = 0
            for part, segment in zip(parts, wanted, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    if not segment:
                        break
                    params[part[1:-1]] = segment
                elif part == segment:
                    literal += 1
                else:
                    break
            else:
                if best is None or literal > best[0]:
                    best = (literal, template, params)
        return None if best is None else (f"{method.upper()} {best[1]}", best[2])
