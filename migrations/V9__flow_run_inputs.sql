-- Flow-run inputs (`/api/flow_runs/{id}/input`): what `pause_flow_run(
-- wait_for_input=...)` and `send_input` exchange, and the run input a
-- resume stores. One value per key of a run; they go with their run.

CREATE TABLE flow_run_input (
    id          TEXT PRIMARY KEY NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    flow_run_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    sender      TEXT,
    UNIQUE (flow_run_id, key)
);
CREATE INDEX ix_flow_run_input__flow_run_id_created ON flow_run_input (flow_run_id, created);
