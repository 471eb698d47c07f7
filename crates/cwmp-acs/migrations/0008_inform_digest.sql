-- A periodic Inform mostly repeats the last one: the device keeps a digest of its last
-- ParameterList and the rows it carried are flagged, so that an unchanged list writes no
-- parameter row (a flagged row's time is the device's last_inform_ms). The partial index
-- finds the flagged rows of a device when its list does change.
ALTER TABLE devices ADD COLUMN inform_digest TEXT;
ALTER TABLE parameters ADD COLUMN informed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX parameters_informed ON parameters (device_id) WHERE informed;
