-- Saved searches (`/api/saved_searches/`): the filter sets Prefect's UI
-- saves from its Runs page. `filters` is the JSON list as the reference
-- answers it; names are unique (a PUT with a known name replaces filters).

CREATE TABLE saved_search (
    id      TEXT PRIMARY KEY NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    name    TEXT NOT NULL UNIQUE,
    filters TEXT NOT NULL DEFAULT '[]'
);
