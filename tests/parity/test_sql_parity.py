"""Two back ends, one truth: the compiled SQL scores every lead exactly as `evaluate()` does,
for generated models over generated worlds written to the real database (SQLite, or
PostgreSQL with LEADFLOW_TEST_DATABASE_URL).

Deeper runs: LEADFLOW_PARITY_EXAMPLES=2000 .venv/bin/pytest tests/parity (docs/scoring-sql.md).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from leadflow.db.database import Database
from leadflow.scoring import ScoringModel
from tests.unit.scoring.strategies import AS_OF, SCHEMA

from .strategies_db import World, models_and_worlds
from .world_db import evaluated_results, load_facts, sources_for, sql_results, write_world

PARITY = settings(
    max_examples=int(os.environ.get("LEADFLOW_PARITY_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


@PARITY
@given(case=models_and_worlds())
def test_compiled_sql_scores_every_lead_as_evaluate_does(
    db: Database, case: tuple[ScoringModel, World]
) -> None:
    model, world = case
    with db.sessions() as session:
        written = write_world(session, world)
        expected = evaluated_results(model, load_facts(session, written), AS_OF, SCHEMA)
        # Both ways of reading the interactions of the whole company (SqlSources.scan_by_type).
        in_one_pass, by_type = (
            sql_results(session, model, sources_for(written, AS_OF, scan_by_type=by_type),
                        SCHEMA) for by_type in (False, True))
        session.rollback()
    assert in_one_pass == expected
    assert by_type == expected
