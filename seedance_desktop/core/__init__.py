"""Jobs, their state machine, the SQLite store, the scheduler, settings and secrets (no Qt)."""
