"""Webhooks (SPEC §6.4): subscriptions, the transactional outbox, delivery by the worker with
Standard Webhooks signatures and retries, the delivery log and redelivery. See
docs/webhooks.md."""
