-- A periodic Inform mostly repeats the last one: the device keeps a digest of its last
-- ParameterList and the list's paths (JSON), so that an unchanged list writes no parameter
-- row; a parameter on the list reads as refreshed at the device's last_inform_ms.
ALTER TABLE devices ADD COLUMN inform_digest TEXT;
ALTER TABLE devices ADD COLUMN inform_paths TEXT;
