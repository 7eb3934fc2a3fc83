"""The demo step that shows webhooks: each company gets a `crm` subscription to the events a
CRM sync listens to, saved through the subscription service.

It is disabled, and points at a `.example` address (a name that never resolves): the demo runs
with no CRM, and an enabled subscription would fill the delivery log with failed tries the
moment a worker runs. Point it at a receiver of your own (`PATCH /api/v1/webhooks/crm` with
`url` and `enabled: true`), then `POST /api/v1/webhooks/crm/test` — see docs/webhooks.md.
It runs last, so loading the demo queues no message.
"""

from __future__ import annotations

import base64

from leadflow.services.demo.context import Demo
from leadflow.services.webhooks import subscriptions
from leadflow.services.webhooks.inputs import WebhookIn

EVENTS = ["lead.sales_ready", "lead.assigned", "lead.stage_changed", "opportunity.created",
          "opportunity.updated"]


def load_webhooks(demo: Demo) -> None:
    """A disabled `crm` subscription, with a secret drawn from the step's seeded generator."""
    secret = "whsec_" + base64.b64encode(demo.rng("webhooks").randbytes(32)).decode()
    subscriptions.create(demo.session, demo.company.id, WebhookIn(
        key="crm", url=f"https://crm.{demo.company.key}.example/leadflow/webhooks",
        events=EVENTS, secret=secret, enabled=False))
