"""Round robin and least loaded (SPEC §4): fairness, weights, skipping, joining, capacity."""

from __future__ import annotations

from collections import Counter

import pytest

from leadflow.domain.rotation import (
    Load,
    Seat,
    joining_served,
    least_loaded,
    next_seat,
    reweighted,
    take_turn,
)


def deal(seats: list[Seat], leads: int) -> Counter[int]:
    given: Counter[int] = Counter()
    for _ in range(leads):
        chosen = next_seat(seats)
        assert chosen is not None
        take_turn(seats, chosen)
        given[chosen.user_id] += 1
    return given


def test_equal_weights_take_turns_in_pool_order_and_stay_within_one() -> None:
    seats = [Seat(user, 1, 0) for user in (1, 2, 3)]
    order: list[int] = []
    for _ in range(7):
        chosen = next_seat(seats)
        assert chosen is not None
        take_turn(seats, chosen)
        order.append(chosen.user_id)
    assert order == [1, 2, 3, 1, 2, 3, 1]
    counts = deal(seats, 1000)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_weights_are_proportional_within_one_lead() -> None:
    seats = [Seat(1, 1, 0), Seat(2, 2, 0), Seat(3, 3, 0)]
    counts = deal(seats, 1000)
    for seat in seats:
        assert abs(counts[seat.user_id] - 1000 * seat.weight / 6) <= 1


def test_an_unavailable_seat_is_skipped_and_returns_without_a_flood() -> None:
    seats = [Seat(1, 1, 0), Seat(2, 1, 0), Seat(3, 1, 0, eligible=False)]
    away = deal(seats, 10)
    assert away[3] == 0 and away[1] == away[2] == 5
    seats[2].eligible = True
    back = deal(seats, 9)
    assert back == Counter({1: 3, 2: 3, 3: 3})


def test_a_joining_seat_starts_level_with_the_rotation() -> None:
    seats = [Seat(1, 1, 0), Seat(2, 1, 0)]
    deal(seats, 100)
    seats.append(Seat(3, 1, joining_served(seats, 1)))
    counts = deal(seats, 30)
    assert counts == Counter({1: 10, 2: 10, 3: 10})
    assert joining_served([], 4) == 0


def test_a_weight_change_keeps_the_level() -> None:
    assert reweighted(10, 1, 3) == 30
    assert reweighted(7, 2, 1) == 4  # level 3.5 rounds up: no extra lead for the change


def test_nobody_eligible_gives_no_seat() -> None:
    assert next_seat([Seat(1, 1, 0, eligible=False)]) is None
    assert next_seat([]) is None


@pytest.mark.parametrize(("loads", "chosen"), [
    ([Load(1, True, 5), Load(2, True, 3), Load(3, True, 3)], 2),
    ([Load(1, True, 5, capacity=5), Load(2, True, 9)], 2),
    ([Load(1, False, 0), Load(2, True, 9, capacity=None)], 2),
    ([Load(1, False, 0), Load(2, True, 2, capacity=2)], None),
])
def test_least_loaded_takes_the_fewest_open_leads_with_room(
    loads: list[Load], chosen: int | None
) -> None:
    found = least_loaded(loads)
    assert (found.user_id if found else None) == chosen
