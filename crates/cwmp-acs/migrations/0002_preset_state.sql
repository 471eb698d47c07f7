-- Preset engine bookkeeping per device and preset: consecutive sessions in which the preset
-- made changes (loop detection), when a faulted preset may be tried again, and the firmware
-- download it started and waits for (its command key).
CREATE TABLE preset_state (
    device_id        TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    preset           TEXT NOT NULL,
    streak           INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT,
    download         TEXT,
    PRIMARY KEY (device_id, preset)
);
