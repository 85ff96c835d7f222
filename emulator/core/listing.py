"""List operations: filters, sorting, ``limit`` / ``page`` / ``opc-next-page`` (keyset pagination)."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from .exceptions import InvalidParameter

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DESC_BY_DEFAULT = frozenset({"TIMECREATED"})


def parse_limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise InvalidParameter("Invalid value for 'limit': must be an integer.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"Invalid value for 'limit': must be between 1 and {MAX_LIMIT}.")
    return limit


def lifecycle_filter(query: Mapping[str, str], states: Collection[str]) -> str | None:
    """The ``lifecycleState`` filter (case-insensitive), upper-cased; unknown values are refused."""
    raw = query.get("lifecycleState")
    if not raw:
        return None
    state = raw.upper()
    if state not in states:
        raise InvalidParameter(f"Invalid value for 'lifecycleState': must be one of {', '.join(sorted(states))}.")
    return state


def _encode(token: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode("ascii")


def _decode(page: str) -> list[Any]:
    try:
        token = json.loads(base64.urlsafe_b64decode(page.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise InvalidParameter("Invalid value for 'page': not a page token from this list.") from None
    if not isinstance(token, list) or len(token) != 3:
        raise InvalidParameter("Invalid value for 'page': not a page token from this list.")
    return token


def paginate(
    items: Sequence[T],
    query: Mapping[str, str],
    seq: Callable[[T], int],
    sort_keys: Mapping[str, Callable[[T], Any]] | None = None,
    default_sort: str = "TIMECREATED",
) -> tuple[list[T], str | None]:
    """Sort (``sortBy``/``sortOrder``), then cut one page after the ``page`` token.

    Tokens name the last item's sort key, so items created between pages do not shift the pages.
    Without ``sort_keys`` the list is in creation order and ``sortBy``/``sortOrder`` are ignored.
    """
    limit = parse_limit(query)
    if sort_keys:
        sort_by = (query.get("sortBy") or default_sort).upper()
        if sort_by not in sort_keys:
            raise InvalidParameter(f"Invalid value for 'sortBy': must be one of {', '.join(sort_keys)}.")
        order = (query.get("sortOrder") or ("DESC" if sort_by in DESC_BY_DEFAULT else "ASC")).upper()
        if order not in ("ASC", "DESC"):
            raise InvalidParameter("Invalid value for 'sortOrder': must be ASC or DESC.")
        primary = sort_keys[sort_by]
    else:
        sort_by, order = "CREATED", "ASC"

        def primary(item: T) -> Any:
            return 0

    desc = order == "DESC"
    pairs: list[tuple[tuple[Any, int], T]] = sorted(((primary(it), seq(it)), it) for it in items) if items else []
    page = query.get("page")
    if page:
        tok_sort, tok_primary, tok_seq = _decode(page)
        if tok_sort != f"{sort_by}:{order}":
            raise InvalidParameter("Invalid value for 'page': the token belongs to another sort order.")
        mark = (tok_primary, tok_seq)
        keys = [k for k, _ in pairs]  # ascending and unique (the sequence number breaks ties)
        try:  # what comes after the mark: below it when descending, above it when ascending
            pairs = pairs[: bisect.bisect_left(keys, mark)] if desc else pairs[bisect.bisect_right(keys, mark) :]
        except TypeError:
            raise InvalidParameter("Invalid value for 'page': not a page token from this list.") from None
    if desc:
        pairs.reverse()
    chunk = pairs[:limit]
    next_page = None
    if len(pairs) > limit:
        last_key = chunk[-1][0]
        next_page = _encode([f"{sort_by}:{order}", last_key[0], last_key[1]])
    return [it for _, it in chunk], next_page
