"""``async for`` over the items of a ``page_index``/``page_size`` list endpoint."""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .generated._groups import pages
from .generated.types import Unset


def _page_type(fn: Callable[..., Any], name: str) -> Callable[[int], int | str]:
    """Hero types page parameters as integers on some endpoints and strings on others: match the function."""
    hint = typing.get_type_hints(fn).get(name)
    return str if str in typing.get_args(hint) or hint is str else int


async def paginate(
    fn: Callable[..., Awaitable[Any]],
    *,
    page_size: int = 100,
    first_page: int = 0,
    **kwargs: Any,
) -> AsyncIterator[Any]:
    """Yield every item of a paginated list, fetching page after page.

    ``fn`` is a generated ``asyncio`` function whose answer has ``data`` (the items) and ``count`` (the total);
    ``kwargs`` go to every call (``client=`` among them). Stops once ``count`` items were yielded, or at the
    first short or empty page when the answer has no count. Pages are 0-based, as in Hero's examples. The client's
    ``iter_...`` methods do the same with typed items; this is for calling generated functions directly.

        async for admin in paginate(list_admins.asyncio, client=hero, page_size=50):
            ...
    """
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    as_index, as_size = _page_type(fn, "page_index"), _page_type(fn, "page_size")

    async def fetch(index: int, size: int) -> tuple[list[Any], object]:
        result = await fn(page_index=as_index(index), page_size=as_size(size), **kwargs)
        items = getattr(result, "data", None)
        if items is None or isinstance(items, Unset):
            raise TypeError(f"{getattr(fn, '__module__', fn)} does not answer with a `data` list; it cannot paginate")
        return list(items), getattr(result, "count", None)

    async for item in pages(fetch, page_size, first_page):  # the stop rule the iter_ methods use
        yield item
