-- A trigram index over the distinct artifact keys, so a `like_` on keys
-- that few keys match starts from those keys instead of walking every key
-- (src/db/key_search.rs). Triggers keep it in step inside every write
-- transaction, whichever code path writes.
--
-- Why not FTS5's trigram tokenizer: it finds the keys, but tells nothing of
-- how many there are before reading them all. The filter has to choose
-- between the list of keys and a walk that stops after one page, and that
-- choice needs each trigram's key count, kept here beside the postings.
-- (On the 1M benchmark set, an FTS5 phrase query for a common word cost
-- 0.5 to 12 ms before the choice could be made; a count here is one
-- lookup.)

-- One row per key that `artifact` or `artifact_collection` holds. The
-- integer id is kept through a VACUUM, unlike the implicit rowids of the
-- artifact tables.
CREATE TABLE artifact_key (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);

-- Every distinct three-character substring of each key, lowercased (LIKE
-- folds ASCII case, and keys are ASCII). A key longer than 512 characters
-- gets the one entry '' instead, and is a candidate for every search, so
-- no request can make a write insert more than 510 entries.
CREATE TABLE artifact_key_trigram (
    trigram TEXT NOT NULL,
    key_id  INTEGER NOT NULL,
    PRIMARY KEY (trigram, key_id)
) WITHOUT ROWID;

-- How many keys have each trigram: a search counts its needle's trigrams
-- here, one lookup each, before it chooses between the keys and the walk.
CREATE TABLE artifact_key_trigram_count (
    trigram TEXT PRIMARY KEY NOT NULL,
    keys    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER artifact_key_trigram__count_insert AFTER INSERT ON artifact_key_trigram BEGIN
    INSERT INTO artifact_key_trigram_count (trigram, keys) VALUES (new.trigram, 1)
    ON CONFLICT (trigram) DO UPDATE SET keys = keys + 1;
END;
CREATE TRIGGER artifact_key_trigram__count_delete AFTER DELETE ON artifact_key_trigram BEGIN
    UPDATE artifact_key_trigram_count SET keys = keys - 1 WHERE trigram = old.trigram;
    DELETE FROM artifact_key_trigram_count WHERE trigram = old.trigram AND keys <= 0;
END;

-- The start of each trigram in a key: 1 to 510. A view, since a trigger
-- may not hold a WITH clause but may read a view that does.
CREATE VIEW artifact_key_position (i) AS
    WITH RECURSIVE p (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < 510)
    SELECT i FROM p;

CREATE TRIGGER artifact_key__trigrams_insert AFTER INSERT ON artifact_key BEGIN
    INSERT INTO artifact_key_trigram (trigram, key_id)
    SELECT DISTINCT substr(lower(new.key), i, 3), new.id FROM artifact_key_position
    WHERE i <= length(new.key) - 2 AND length(new.key) <= 512
    UNION SELECT '', new.id WHERE length(new.key) > 512;
END;
CREATE TRIGGER artifact_key__trigrams_delete AFTER DELETE ON artifact_key BEGIN
    DELETE FROM artifact_key_trigram WHERE key_id = old.id AND trigram IN (
        SELECT substr(lower(old.key), i, 3) FROM artifact_key_position
        WHERE i <= length(old.key) - 2 AND length(old.key) <= 512
        UNION SELECT '' WHERE length(old.key) > 512
    );
END;

-- A key is added when a row brings it, and removed when no row of either
-- table has it any more (a deleted key leaves nothing behind).
CREATE TRIGGER artifact__key_insert AFTER INSERT ON artifact WHEN new.key IS NOT NULL BEGIN
    INSERT INTO artifact_key (key) SELECT new.key
    WHERE NOT EXISTS (SELECT 1 FROM artifact_key WHERE key = new.key);
END;
CREATE TRIGGER artifact__key_update AFTER UPDATE OF key ON artifact WHEN old.key IS NOT new.key BEGIN
    INSERT INTO artifact_key (key) SELECT new.key
    WHERE new.key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM artifact_key WHERE key = new.key);
    DELETE FROM artifact_key WHERE key = old.key
    AND NOT EXISTS (SELECT 1 FROM artifact WHERE key = old.key)
    AND NOT EXISTS (SELECT 1 FROM artifact_collection WHERE key = old.key);
END;
CREATE TRIGGER artifact__key_delete AFTER DELETE ON artifact WHEN old.key IS NOT NULL BEGIN
    DELETE FROM artifact_key WHERE key = old.key
    AND NOT EXISTS (SELECT 1 FROM artifact WHERE key = old.key)
    AND NOT EXISTS (SELECT 1 FROM artifact_collection WHERE key = old.key);
END;

CREATE TRIGGER artifact_collection__key_insert AFTER INSERT ON artifact_collection BEGIN
    INSERT INTO artifact_key (key) SELECT new.key
    WHERE NOT EXISTS (SELECT 1 FROM artifact_key WHERE key = new.key);
END;
CREATE TRIGGER artifact_collection__key_update AFTER UPDATE OF key ON artifact_collection
WHEN old.key IS NOT new.key BEGIN
    INSERT INTO artifact_key (key) SELECT new.key
    WHERE NOT EXISTS (SELECT 1 FROM artifact_key WHERE key = new.key);
    DELETE FROM artifact_key WHERE key = old.key
    AND NOT EXISTS (SELECT 1 FROM artifact WHERE key = old.key)
    AND NOT EXISTS (SELECT 1 FROM artifact_collection WHERE key = old.key);
END;
CREATE TRIGGER artifact_collection__key_delete AFTER DELETE ON artifact_collection BEGIN
    DELETE FROM artifact_key WHERE key = old.key
    AND NOT EXISTS (SELECT 1 FROM artifact WHERE key = old.key)
    AND NOT EXISTS (SELECT 1 FROM artifact_collection WHERE key = old.key);
END;

-- The keys already stored (the insert trigger above indexes them).
INSERT INTO artifact_key (key)
SELECT key FROM artifact WHERE key IS NOT NULL
UNION
SELECT key FROM artifact_collection;
