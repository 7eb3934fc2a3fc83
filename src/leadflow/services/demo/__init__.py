"""The deterministic demo world behind `leadflow demo` (see docs/getting-started.md)."""

from leadflow.services.demo.world import (
    CLIENT,
    DEFAULT_SEED,
    SITE,
    STEPS,
    DemoWorld,
    count_records,
    load_demo,
    reset_sqlite,
)

__all__ = [
    "CLIENT", "DEFAULT_SEED", "SITE", "STEPS", "DemoWorld", "count_records", "load_demo",
    "reset_sqlite",
]
