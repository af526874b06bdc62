-- Covering indexes for the two-step filter queries (db::artifacts::filter_sql):
-- the page's rowids are chosen from index entries alone, and only the rows of
-- the page are read in full. Each replaced index is a prefix of its successor,
-- so every lookup it served is still served.

-- Default sort (ID_DESC) with artifact filters, and the join keys.
CREATE INDEX ix_artifact_collection__id_filter
    ON artifact_collection (id, key, type, flow_run_id, task_run_id);

-- One type, newest id first: a type filter stops after one page of matches.
DROP INDEX ix_artifact_collection__type;
CREATE INDEX ix_artifact_collection__type_id_key ON artifact_collection (type, id, key);

-- A flow run's latest artifacts by update time, without reading their rows.
DROP INDEX ix_artifact_collection__flow_run_id;
CREATE INDEX ix_artifact_collection__flow_run_id_updated ON artifact_collection (flow_run_id, updated);

-- A flow's runs in some states, with the id the artifact join needs.
DROP INDEX ix_flow_run__flow_id;
CREATE INDEX ix_flow_run__flow_id_state_type ON flow_run (flow_id, state_type, id);

-- Planner statistics for the new indexes, so an upgraded database plans the
-- filters as a freshly loaded one does (fixture loads run ANALYZE too).
ANALYZE artifact_collection;
ANALYZE flow_run;
