"""Adapters at the edge: forms and tracking, Segment, SendGrid, webhook delivery."""
