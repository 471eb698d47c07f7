-- Session history keyed by device and start time. The random-id key scattered each new row
-- over the whole table and needed a second index besides; now a device's sessions sit
-- together, and one index serves the insert, the pruning and the listing.
CREATE TABLE sessions_new (
    device_id   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    started_ms  BIGINT NOT NULL,
    id          TEXT NOT NULL,
    ended_ms    BIGINT NOT NULL,
    events      TEXT NOT NULL,
    rpc_count   INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    PRIMARY KEY (device_id, started_ms, id)
);
INSERT INTO sessions_new (device_id, started_ms, id, ended_ms, events, rpc_count, outcome)
    SELECT device_id, started_ms, id, ended_ms, events, rpc_count, outcome FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
