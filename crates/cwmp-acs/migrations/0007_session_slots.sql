-- Session history as a ring of slots per device: a finished session overwrites the slot
-- `session_count % kept` (kept = SESSIONS_KEPT in the code) in place, instead of an insert
-- plus the deletion of the oldest row, which dirtied two more pages on every session.
-- Rows carried over are numbered from 0, oldest first, so the next session replaces the
-- oldest once a history is full.
ALTER TABLE devices ADD COLUMN session_count BIGINT NOT NULL DEFAULT 0;
CREATE TABLE sessions_new (
    device_id   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    slot        INTEGER NOT NULL,
    id          TEXT NOT NULL,
    started_ms  BIGINT NOT NULL,
    ended_ms    BIGINT NOT NULL,
    events      TEXT NOT NULL,
    rpc_count   INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    PRIMARY KEY (device_id, slot)
);
INSERT INTO sessions_new (device_id, slot, id, started_ms, ended_ms, events, rpc_count, outcome)
    SELECT device_id, ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY started_ms, id) - 1,
        id, started_ms, ended_ms, events, rpc_count, outcome
    FROM sessions;
UPDATE devices SET session_count =
    (SELECT COUNT(*) FROM sessions_new WHERE sessions_new.device_id = devices.id);
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
