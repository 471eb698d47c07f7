-- Outcome of the last Connection Request sent to each device (NULL: none sent yet).
ALTER TABLE devices ADD COLUMN cr_time_ms BIGINT;
ALTER TABLE devices ADD COLUMN cr_error TEXT;
