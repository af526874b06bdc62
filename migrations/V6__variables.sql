-- Variables (`/api/variables/`). `value` and `tags` hold JSON text as the
-- reference answers it; names are unique, as in the reference's schema.

CREATE TABLE variable (
    id      TEXT PRIMARY KEY NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    name    TEXT NOT NULL UNIQUE,
    value   TEXT,
    tags    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX ix_variable__created ON variable (created);
CREATE INDEX ix_variable__updated ON variable (updated);
