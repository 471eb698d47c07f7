-- GenieACS's `objects` collection (SQLite migration 11): the instances that `add_object` /
-- `delete_object` preset configurations create or remove, as canonical JSON documents.
CREATE TABLE preset_objects (
    name        TEXT PRIMARY KEY,
    document    TEXT NOT NULL,
    updated_ms  BIGINT NOT NULL
);
