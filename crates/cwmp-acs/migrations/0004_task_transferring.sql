-- Tasks gain the status 'transferring': the CPE accepted a Download/Upload/ScheduleDownload
-- and the task waits for its TransferComplete. SQLite cannot alter a CHECK constraint, so
-- the table is rebuilt.
CREATE TABLE tasks_new (
    id               TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('pending', 'running', 'transferring', 'done', 'fault')),
    result           TEXT,
    fault_code       TEXT,
    fault_message    TEXT,
    fault_detail     TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT,
    expiry_ms        BIGINT,
    created_ms       BIGINT NOT NULL
);
INSERT INTO tasks_new (id, device_id, name, payload, status, result, fault_code, fault_message,
    fault_detail, attempts, next_attempt_ms, expiry_ms, created_ms)
SELECT id, device_id, name, payload, status, result, fault_code, fault_message,
    fault_detail, attempts, next_attempt_ms, expiry_ms, created_ms FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_device_status ON tasks (device_id, status, created_ms);
CREATE INDEX tasks_status ON tasks (status, created_ms);
