"""Emulator core pieces in isolation: pagination, lifecycle plans, token bucket, clock, realm table."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.core.clock import EmulatorClock, rfc3339
from emulator.core.exceptions import InvalidParameter
from emulator.core.faults import TokenBucket
from emulator.core.lifecycle import Scheduler, Stage, plan, schedule
from emulator.core.listing import paginate
from emulator.core.regions import find_region


@dataclass(frozen=True)
class Item:
    seq: int
    name: str
    created: float


SORT = {"TIMECREATED": attrgetter("created"), "DISPLAYNAME": attrgetter("name")}


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.sampled_from(["a", "b", "c", "B"]), max_size=25),
    limit=st.integers(min_value=1, max_value=7),
    sort_by=st.sampled_from(["TIMECREATED", "DISPLAYNAME"]),
    order=st.sampled_from(["ASC", "DESC", None]),
)
def test_pages_cover_the_sorted_list_exactly_once(
    names: list[str], limit: int, sort_by: str, order: str | None
) -> None:
    items = [Item(i + 1, n, float(i // 2)) for i, n in enumerate(names)]  # duplicate times and names
    query: dict[str, str] = {"limit": str(limit), "sortBy": sort_by}
    if order:
        query["sortOrder"] = order
    seen: list[Item] = []
    while True:
        page, token = paginate(items, query, attrgetter("seq"), SORT)
        assert len(page) <= limit
        seen.extend(page)
        if token is None:
            break
        query["page"] = token
    assert sorted(seen, key=attrgetter("seq")) == items
    desc = (order or ("DESC" if sort_by == "TIMECREATED" else "ASC")) == "DESC"
    keys = [(SORT[sort_by](it), it.seq) for it in seen]
    assert keys == sorted(keys, reverse=desc)


def test_page_tokens_belong_to_one_sort_order() -> None:
    items = [Item(i, "x", float(i)) for i in range(1, 4)]
    _, token = paginate(items, {"limit": "1"}, attrgetter("seq"), SORT)
    assert token is not None
    with pytest.raises(InvalidParameter):
        paginate(items, {"limit": "1", "page": token, "sortBy": "DISPLAYNAME"}, attrgetter("seq"), SORT)


def test_plan_keeps_stages_no_later_than_the_last() -> None:
    stages = [Stage("CREATING", 1), Stage("COMMITTED", 30), Stage("AVAILABLE", 60)]
    assert plan(stages) == stages
    assert [s.after for s in plan([Stage("CREATING", 1), Stage("COMMITTED", 30), Stage("AVAILABLE", 0)])] == [0, 0, 0]
    assert [s.after for s in plan([Stage("CREATING", 5), Stage("AVAILABLE", 2)])] == [2, 2]


def test_scheduler_runs_due_actions_in_order() -> None:
    scheduler = Scheduler()
    seen: list[tuple[str, float]] = []
    schedule(scheduler, 100.0, [Stage("CREATING", 1), Stage("AVAILABLE", 60)], lambda s, at: seen.append((s, at)))
    assert scheduler.run_due(100.5) == 0
    assert scheduler.run_due(200) == 2
    assert seen == [("CREATING", 101.0), ("AVAILABLE", 160.0)]


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, capacity=2, now=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert bucket.take() and not bucket.take()


def test_clock() -> None:
    clock = EmulatorClock(wall=lambda: 1000.0)
    assert clock.advance(60) == 1060.0
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert clock.now() == 1000.0
    assert rfc3339(0.5) == "1970-01-01T00:00:00.500Z"


def test_realm_table() -> None:
    ashburn = find_region("us-ashburn-1")
    assert ashburn is not None and (ashburn.key, ashburn.realm) == ("IAD", "oc1")
    gov = find_region("us-gov-ashburn-1")
    assert gov is not None and gov.realm == "oc3"
    assert find_region("IAD") is None
