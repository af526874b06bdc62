-- Indexes for the bounded first try of a filtered page (db::artifacts::walk_sql):
-- the first entries of the sort order, read from index entries alone, with
-- every column an artifact filter or a join to the runs reads (key, type,
-- flow_run_id, task_run_id). Each replaced index is a prefix of its
-- successor, so every lookup it served is still served.

-- /artifacts/filter, ID_DESC (the collection's twin is V3's id_filter).
CREATE INDEX ix_artifact__id_filter ON artifact (id, key, type, flow_run_id, task_run_id);

-- /artifacts/filter, KEY_ASC / KEY_DESC; still a key's versions newest first.
DROP INDEX ix_artifact__key_created;
CREATE INDEX ix_artifact__key_filter ON artifact (key, created DESC, type, flow_run_id, task_run_id);

-- /artifacts/latest/filter, UPDATED_DESC, CREATED_DESC, KEY_ASC / KEY_DESC.
DROP INDEX ix_artifact_collection__updated;
CREATE INDEX ix_artifact_collection__updated_filter
    ON artifact_collection (updated, key, type, flow_run_id, task_run_id);
DROP INDEX ix_artifact_collection__created;
CREATE INDEX ix_artifact_collection__created_filter
    ON artifact_collection (created, key, type, flow_run_id, task_run_id);
CREATE INDEX ix_artifact_collection__key_filter ON artifact_collection (key, type, flow_run_id, task_run_id);

-- Planner statistics for the new indexes (as V3 does).
ANALYZE artifact;
ANALYZE artifact_collection;
