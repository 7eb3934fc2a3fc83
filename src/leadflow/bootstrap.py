"""The one place that wires the parts together: importing it registers record checks and the
triggers that keep scores current. Every entry point (API, CLI, worker) imports it."""

from __future__ import annotations

from leadflow.services import interaction_types, record_rules  # noqa: F401
from leadflow.services.assignment import triggers as _assignment  # noqa: F401
from leadflow.services.scoring import triggers  # noqa: F401
from leadflow.services.webhooks import outbox  # noqa: F401  (events become deliveries at commit)
