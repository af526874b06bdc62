-- Every state a flow run or task run has entered, as the reference's
-- flow_run_state / task_run_state tables: read by run id in timestamp order.
CREATE TABLE flow_run_state (
    id TEXT PRIMARY KEY,
    flow_run_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX ix_flow_run_state__flow_run_id_timestamp ON flow_run_state (flow_run_id, timestamp);

CREATE TABLE task_run_state (
    id TEXT PRIMARY KEY,
    task_run_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX ix_task_run_state__task_run_id_timestamp ON task_run_state (task_run_id, timestamp);

-- Completed task-run states by cache key (the reference's
-- task_run_state_cache), for CacheRetrieval: newest first per key.
CREATE TABLE task_run_state_cache (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    cache_key TEXT NOT NULL,
    cache_expiration TEXT,
    task_run_state_id TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX ix_task_run_state_cache__cache_key_created ON task_run_state_cache (cache_key, created);

-- Runs stored before this migration: their current state is their history.
INSERT OR IGNORE INTO flow_run_state (id, flow_run_id, timestamp, doc)
SELECT json_extract(doc, '$.state.id'), id, COALESCE(state_timestamp, updated), json_extract(doc, '$.state')
FROM flow_run
WHERE CASE WHEN json_valid(doc) THEN json_type(doc, '$.state') = 'object' AND json_type(doc, '$.state.id') = 'text' ELSE 0 END;

INSERT OR IGNORE INTO task_run_state (id, task_run_id, timestamp, doc)
SELECT json_extract(doc, '$.state.id'), id, COALESCE(state_timestamp, updated), json_extract(doc, '$.state')
FROM task_run
WHERE CASE WHEN json_valid(doc) THEN json_type(doc, '$.state') = 'object' AND json_type(doc, '$.state.id') = 'text' ELSE 0 END;
