-- The narrowest index of the latest rows (type alone, a few bytes an entry):
-- SQLite counts an unfiltered count(*) by walking the narrowest index, and
-- V3 left only wide ones (about 1,200 pages at a million artifacts, against
-- about 370 for this one, which stay in a reader's page cache).
CREATE INDEX ix_artifact_collection__type ON artifact_collection (type);
ANALYZE artifact_collection;
