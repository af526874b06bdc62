-- Timestamps are stored as fixed-width UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ'
-- so that text order is time order; UUIDs as lowercase hyphenated text.
-- Each related table keeps the columns that filters and sorts read, plus
-- `doc`: the whole object as the API returns it, so that nothing the
-- reference sends is lost on a fixture round trip.

CREATE TABLE flow (
    id          TEXT PRIMARY KEY NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    name        TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    doc         TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX uq_flow__name ON flow (name);

CREATE TABLE deployment (
    id                TEXT PRIMARY KEY NOT NULL,
    created           TEXT NOT NULL,
    updated           TEXT NOT NULL,
    name              TEXT NOT NULL,
    flow_id           TEXT NOT NULL,
    paused            INTEGER NOT NULL DEFAULT 0,
    tags              TEXT NOT NULL DEFAULT '[]',
    work_queue_name   TEXT,
    concurrency_limit INTEGER,
    doc               TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX uq_deployment__flow_id_name ON deployment (flow_id, name);
CREATE INDEX ix_deployment__name ON deployment (name);
CREATE INDEX ix_deployment__work_queue_name ON deployment (work_queue_name);

CREATE TABLE flow_run (
    id                        TEXT PRIMARY KEY NOT NULL,
    created                   TEXT NOT NULL,
    updated                   TEXT NOT NULL,
    name                      TEXT NOT NULL,
    flow_id                   TEXT NOT NULL,
    state_type                TEXT,
    state_name                TEXT,
    state_timestamp           TEXT,
    run_count                 INTEGER NOT NULL DEFAULT 0,
    expected_start_time       TEXT,
    next_scheduled_start_time TEXT,
    start_time                TEXT,
    end_time                  TEXT,
    total_run_time            REAL NOT NULL DEFAULT 0,
    deployment_id             TEXT,
    deployment_version        TEXT,
    work_queue_name           TEXT,
    flow_version              TEXT,
    idempotency_key           TEXT,
    tags                      TEXT NOT NULL DEFAULT '[]',
    parent_task_run_id        TEXT,
    created_by                TEXT,
    doc                       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_flow_run__flow_id ON flow_run (flow_id);
CREATE INDEX ix_flow_run__deployment_id ON flow_run (deployment_id);
CREATE INDEX ix_flow_run__state_type ON flow_run (state_type);
CREATE INDEX ix_flow_run__state_name ON flow_run (state_name);
CREATE INDEX ix_flow_run__name ON flow_run (name);
CREATE INDEX ix_flow_run__start_time ON flow_run (start_time);
CREATE INDEX ix_flow_run__end_time ON flow_run (end_time);
CREATE INDEX ix_flow_run__expected_start_time ON flow_run (expected_start_time);
CREATE INDEX ix_flow_run__next_scheduled_start_time ON flow_run (next_scheduled_start_time);
CREATE INDEX ix_flow_run__parent_task_run_id ON flow_run (parent_task_run_id);
CREATE INDEX ix_flow_run__work_queue_name ON flow_run (work_queue_name);
CREATE INDEX ix_flow_run__flow_version ON flow_run (flow_version);

CREATE TABLE task_run (
    id                        TEXT PRIMARY KEY NOT NULL,
    created                   TEXT NOT NULL,
    updated                   TEXT NOT NULL,
    name                      TEXT NOT NULL,
    flow_run_id               TEXT,
    task_key                  TEXT NOT NULL DEFAULT '',
    dynamic_key               TEXT NOT NULL DEFAULT '',
    state_type                TEXT,
    state_name                TEXT,
    state_timestamp           TEXT,
    run_count                 INTEGER NOT NULL DEFAULT 0,
    expected_start_time       TEXT,
    next_scheduled_start_time TEXT,
    start_time                TEXT,
    end_time                  TEXT,
    total_run_time            REAL NOT NULL DEFAULT 0,
    tags                      TEXT NOT NULL DEFAULT '[]',
    doc                       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_task_run__flow_run_id ON task_run (flow_run_id);
CREATE INDEX ix_task_run__state_type ON task_run (state_type);
CREATE INDEX ix_task_run__name ON task_run (name);
CREATE INDEX ix_task_run__start_time ON task_run (start_time);

CREATE TABLE artifact (
    id          TEXT PRIMARY KEY NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    key         TEXT,
    type        TEXT,
    description TEXT,
    data        TEXT,           -- JSON text, already in the wire format
    metadata_   TEXT,           -- JSON object text
    flow_run_id TEXT,
    task_run_id TEXT
);
CREATE INDEX ix_artifact__key_created ON artifact (key, created DESC);
CREATE INDEX ix_artifact__created ON artifact (created);
CREATE INDEX ix_artifact__updated ON artifact (updated);
CREATE INDEX ix_artifact__flow_run_id ON artifact (flow_run_id);
CREATE INDEX ix_artifact__task_run_id ON artifact (task_run_id);
CREATE INDEX ix_artifact__type ON artifact (type);

-- The latest artifact of each key: one row per key, kept in step by every
-- write to `artifact`.
CREATE TABLE artifact_collection (
    id          TEXT PRIMARY KEY NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    key         TEXT NOT NULL,
    latest_id   TEXT NOT NULL,
    type        TEXT,
    description TEXT,
    data        TEXT,
    metadata_   TEXT,
    flow_run_id TEXT,
    task_run_id TEXT
);
CREATE UNIQUE INDEX uq_artifact_collection__key ON artifact_collection (key);
CREATE INDEX ix_artifact_collection__latest_id ON artifact_collection (latest_id);
CREATE INDEX ix_artifact_collection__created ON artifact_collection (created);
CREATE INDEX ix_artifact_collection__updated ON artifact_collection (updated);
CREATE INDEX ix_artifact_collection__flow_run_id ON artifact_collection (flow_run_id);
CREATE INDEX ix_artifact_collection__task_run_id ON artifact_collection (task_run_id);
CREATE INDEX ix_artifact_collection__type ON artifact_collection (type);
