"""The job database schema and its migrations.

``PRAGMA user_version`` holds the schema version. ``MIGRATIONS[i]`` takes a database from version
``i`` to ``i + 1``; a fresh database runs them all. Migrations are append-only: never edit one
that has shipped, add a new one instead (users have databases at every old version).
"""

from __future__ import annotations

#: Columns that hold JSON text (decoded on read).
JSON_COLUMNS = frozenset({"request", "inputs", "history", "raw_task", "extra"})

_V1 = """
CREATE TABLE jobs (
    id                     TEXT PRIMARY KEY,
    state                  TEXT NOT NULL,
    position               REAL NOT NULL DEFAULT 0,
    created_at             REAL NOT NULL,
    updated_at             REAL NOT NULL,
    model                  TEXT NOT NULL,
    request                TEXT NOT NULL DEFAULT '{}',
    inputs                 TEXT NOT NULL DEFAULT '[]',
    history                TEXT NOT NULL DEFAULT '[]',
    task_id                TEXT,
    result_url             TEXT,
    submitted_at           REAL,
    finished_at            REAL,
    video_path             TEXT,
    last_frame_path        TEXT,
    remote_video_url       TEXT,
    remote_last_frame_url  TEXT,
    cost                   REAL,
    error                  TEXT,
    attempt_of             TEXT,
    raw_task               TEXT
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_order ON jobs(position, created_at);
"""

# v2: ``extra`` keeps Job fields added after the schema was written (the job model may grow
# additive fields with defaults; they survive a round trip without a new migration), and an
# index on task_id so a restart can match server tasks to jobs quickly.
_V2 = """
ALTER TABLE jobs ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
CREATE INDEX jobs_task_id ON jobs(task_id);
"""

# v3: ``group_id`` names a batch (one query lists a group's jobs for its group actions), and
# ``prompt_stars`` holds the only thing prompt history adds to the jobs table: which prompt
# texts the person starred (the prompts themselves are read from the jobs' requests).
_V3 = """
ALTER TABLE jobs ADD COLUMN group_id TEXT;
CREATE INDEX jobs_group ON jobs(group_id);
CREATE TABLE prompt_stars (
    prompt      TEXT PRIMARY KEY,
    starred_at  REAL NOT NULL
);
"""

# v4: the upload cache (``core.upload_cache``): which exact bytes (SHA-256 of the file sent)
# were uploaded, where they are hosted and until when. ``url`` never holds a signed query
# string: such URLs are kept in memory only and the row holds the URL without its query plus a
# mark, so after a restart the file is uploaded again rather than sent with a dead link.
_V4 = """
CREATE TABLE uploads (
    sha256       TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    file_id      TEXT,
    size         INTEGER NOT NULL,
    uploaded_at  REAL NOT NULL,
    expires_at   REAL NOT NULL
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)
