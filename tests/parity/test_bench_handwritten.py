"""The hand-written baseline of `make bench` (bench/handwritten.py) computes exactly what the
compiled benchmark model computes, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bench.handwritten import BENCH_MODEL, handwritten_params, handwritten_sql
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from leadflow.db.database import Database
from leadflow.scoring import BUILTIN_SCHEMA, parse_text
from leadflow.scoring.sql import compile_model
from tests.unit.scoring.strategies import AS_OF

from .strategies_db import World, worlds
from .world_db import sources_for, write_world

MODEL = parse_text(BENCH_MODEL)
TYPES = ("email_clicked", "email_opened", "form_submitted", "website_visited",
         "event_attended", "email_unsubscribed")


def _rows(rows: Any) -> dict[int, tuple[int, str | None, bool]]:
    return {r[0]: (int(r[1]), r[2], bool(r[3])) for r in rows}


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds(types=TYPES))
def test_handwritten_query_gives_the_compiled_scores(db: Database, world: World) -> None:
    # The benchmark has no manual adjustments and recycling resets behaviour (the default).
    world = replace(world, adjustments=[], recycle_resets=True)
    with db.sessions() as session:
        written = write_world(session, world)
        compiled = session.execute(compile_model(MODEL, sources_for(written, AS_OF),
                                                 BUILTIN_SCHEMA)).all()
        params = handwritten_params(written.company_id, AS_OF, db.dialect)
        handwritten = session.execute(text(handwritten_sql(db.dialect)), params).all()
        session.rollback()
    assert _rows(handwritten) == _rows(compiled)
