-- GenieACS provision scripts and virtual parameter scripts (SQLite migration 12) (`/provisions`,
-- `/virtual_parameters`): one table, keyed by kind and name.
CREATE TABLE IF NOT EXISTS scripts (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    script TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);
