"""The durable job engine (no Qt): queue, per-job steps and user actions."""
