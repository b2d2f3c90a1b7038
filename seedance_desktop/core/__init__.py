"""Jobs, their state machine, the SQLite store, the engine (core.engine), policy, settings and secrets (no Qt)."""
