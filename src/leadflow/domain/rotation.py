"""Choosing an owner: a weighted round robin whose position survives restarts and pool edits,
and "least loaded" (SPEC §4). Pure: the caller loads the seats and loads, and stores the result.

**Round robin.** Each seat keeps `served`, its place in the rotation: the leads it was given,
plus the turns it missed while it could not take leads. The next lead goes to the eligible seat
furthest behind its share — the smallest `served / weight` — ties to the seat listed first.
With equal weights, counts never differ by more than one; with weights, they stay within one
of their proportional share. Because the state is only these numbers, the rotation continues
exactly where it was after a restart, and editing the pool keeps everyone else's place:

- a seat that joins starts level with the seat furthest behind, so it takes its turn in the
  next round instead of receiving every next lead until it has "caught up";
- a seat that is skipped (unavailable, or full) is moved up to the level of the seat that took
  the lead, so it does not come back to a flood of leads either;
- a weight change keeps the seat's level (`served / weight`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass
class Seat:
    """A user's place in a round-robin pool; `eligible` is decided by the caller."""

    user_id: int
    weight: int
    served: int
    eligible: bool = True

    @property
    def level(self) -> Fraction:
        """How far through its share the seat is."""
        return Fraction(self.served, self.weight)


def next_seat(seats: Sequence[Seat]) -> Seat | None:
    """The eligible seat furthest behind its share (ties: the first listed), or None."""
    return min((seat for seat in seats if seat.eligible), key=lambda seat: seat.level,
               default=None)


def take_turn(seats: Sequence[Seat], chosen: Seat) -> None:
    """`chosen` takes the lead; seats skipped meanwhile move up to where the rotation is."""
    level = chosen.level
    for seat in seats:
        if not seat.eligible and seat.level < level:
            seat.served = math.ceil(level * seat.weight)
    chosen.served += 1


def joining_served(others: Sequence[Seat], weight: int) -> int:
    """`served` for a seat joining a pool of `others`: level with the seat furthest behind."""
    if not others:
        return 0
    level = min(seat.level for seat in others)
    return math.ceil(level * weight)


def reweighted(served: int, old_weight: int, new_weight: int) -> int:
    """`served` after a weight change, keeping the seat's level."""
    return math.ceil(Fraction(served, old_weight) * new_weight)


@dataclass(frozen=True)
class Load:
    """A candidate owner: how many open leads it holds and how many it may hold."""

    user_id: int
    available: bool
    open_leads: int
    capacity: int | None = None

    @property
    def has_room(self) -> bool:
        """Available and below its capacity (None: unlimited)."""
        return self.available and (self.capacity is None or self.open_leads < self.capacity)


def least_loaded(candidates: Sequence[Load]) -> Load | None:
    """The candidate with room holding the fewest open leads (ties: the first listed)."""
    return min((candidate for candidate in candidates if candidate.has_room),
               key=lambda candidate: candidate.open_leads, default=None)
