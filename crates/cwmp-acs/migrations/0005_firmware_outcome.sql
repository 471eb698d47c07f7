-- Outcome of the firmware a preset targets on each device (NULL: none known yet): the target
-- version, 'upgraded' or 'failed', and when the ACS learnt it.
ALTER TABLE devices ADD COLUMN fw_target TEXT;
ALTER TABLE devices ADD COLUMN fw_status TEXT;
ALTER TABLE devices ADD COLUMN fw_time_ms BIGINT;
