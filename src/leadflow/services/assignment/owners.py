"""Choosing the owner a rule gives a lead to, against the stored state: users' availability,
capacity and open leads, and the round-robin seats.

One chooser serves one run (one transaction). The first time a rule needs them, its seats are
read and locked until the transaction ends, so a concurrent run waits and then sees the turns
this one took (a run over many leads locks every round robin up front, in one order, so two runs
never wait for each other in a circle). After that the run keeps seats, users and open-lead
counts in memory, counting the leads it hands out, and writes the seats back in `save`: a
thousand leads cost a handful of queries, not thousands. Users are not locked: two leads created
at the same moment may both see a user's last free place (capacity is a soft limit there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import assignment as queries
from leadflow.db import tables as t
from leadflow.domain import rotation
from leadflow.domain.assignment import CLOSED_STAGES


@dataclass(frozen=True)
class Choice:
    """The user chosen (None: nobody can take the lead) and, if nobody, why."""

    user_id: int | None
    reason: str | None = None


@dataclass
class OwnerChooser:
    """Applies rules' stored owner choices (`{"kind", "users": [{"id", "weight"}]}`)."""

    session: Session
    company_id: int
    _users: dict[int, t.User] = field(default_factory=dict)
    _open: dict[int, int] = field(default_factory=dict)
    _pools: dict[int, list[tuple[t.RoundRobinMember, rotation.Seat]]] = field(
        default_factory=dict)

    def choose(self, rule: t.AssignmentRule, lead: t.Lead) -> Choice:
        stored: dict[str, Any] = rule.assign or {}
        kind, users = stored.get("kind"), [int(u["id"]) for u in stored.get("users", [])]
        if kind == "round_robin":
            choice = self._round_robin(rule, users)
        else:
            choice = self._by_load(str(kind), users)
        if choice.user_id is not None and choice.user_id != lead.owner_id:
            self._moved(lead, choice.user_id)
        return choice

    def lock(self, rules: Sequence[t.AssignmentRule]) -> None:
        """Read and lock the seats of these rules' round robins now, in id order."""
        for rule in sorted(rules, key=lambda r: r.id):
            stored = rule.assign or {}
            if stored.get("kind") == "round_robin":
                self._pool(rule, [int(u["id"]) for u in stored.get("users", [])])

    def save(self) -> None:
        """Write the seats' places back (within the caller's transaction)."""
        for pool in self._pools.values():
            for row, seat in pool:
                if row.served != seat.served:
                    row.served = seat.served

    def _by_load(self, kind: str, user_ids: Sequence[int]) -> Choice:
        loads = self._loads(user_ids)
        if not loads:
            return Choice(None, "the rule's users no longer exist")
        chosen = rotation.least_loaded(loads)
        if chosen is not None:
            return Choice(chosen.user_id)
        if kind == "user":
            return Choice(None, _why_not(loads[0]))
        return Choice(None, "every user of the rule is unavailable or at capacity")

    def _round_robin(self, rule: t.AssignmentRule, order: list[int]) -> Choice:
        pool = self._pool(rule, order)
        loads = {load.user_id: load for load in self._loads([seat.user_id for _, seat in pool])}
        seats = [seat for _, seat in pool]
        for seat in seats:
            seat.eligible = seat.user_id in loads and loads[seat.user_id].has_room
        chosen = rotation.next_seat(seats)
        if chosen is None:
            return Choice(None, "every user of the round robin is unavailable or at capacity"
                          if seats else "the round robin has no users")
        rotation.take_turn(seats, chosen)
        return Choice(chosen.user_id)

    def _pool(self, rule: t.AssignmentRule, order: list[int]
              ) -> list[tuple[t.RoundRobinMember, rotation.Seat]]:
        """The rule's seats in pool order, read and locked the first time."""
        pool = self._pools.get(rule.id)
        if pool is None:
            rows = queries.seats(self.session, self.company_id, rule.id, lock=True)
            rank = {user_id: index for index, user_id in enumerate(order)}
            rows.sort(key=lambda r: (rank.get(r.user_id, len(rank)), r.id))
            pool = [(r, rotation.Seat(r.user_id, r.weight, r.served)) for r in rows]
            self._pools[rule.id] = pool
        return pool

    def _loads(self, user_ids: Sequence[int]) -> list[rotation.Load]:
        """Each user's availability, capacity and open leads, in the rule's order (read once
        per run, then kept up to date by the run)."""
        missing = [i for i in user_ids if i not in self._users]
        if missing:
            found = queries.users_by_id(self.session, self.company_id, missing)
            self._users.update(found)
            counts = queries.open_leads(self.session, self.company_id, found)
            self._open.update({user_id: counts.get(user_id, 0) for user_id in found})
        return [rotation.Load(i, self._users[i].available, self._open[i],
                              self._users[i].capacity) for i in user_ids if i in self._users]

    def _moved(self, lead: t.Lead, new_owner: int) -> None:
        """Keep the open-lead counts of this run true as it hands leads out."""
        if lead.stage in CLOSED_STAGES:
            return
        if new_owner in self._open:
            self._open[new_owner] += 1
        if lead.owner_id in self._open:
            self._open[lead.owner_id] -= 1


def _why_not(load: rotation.Load) -> str:
    if not load.available:
        return "the rule's user is unavailable"
    return f"the rule's user is at capacity ({load.open_leads} open leads of {load.capacity})"
