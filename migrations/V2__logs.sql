-- Logs sent by clients (`POST /api/logs/`). Timestamps in the stored form
-- of V1; ids are UUID version 7 as the reference assigns them.

CREATE TABLE log (
    id          TEXT PRIMARY KEY NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL,
    message     TEXT NOT NULL,
    timestamp   TEXT NOT NULL,
    flow_run_id TEXT,
    task_run_id TEXT
);
CREATE INDEX ix_log__timestamp ON log (timestamp);
CREATE INDEX ix_log__flow_run_id ON log (flow_run_id);
CREATE INDEX ix_log__task_run_id ON log (task_run_id);
CREATE INDEX ix_log__level ON log (level);
