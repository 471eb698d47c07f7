-- Device queries on a parameter's value (GET /devices?query={"<path>": <value>}) find the
-- devices through this index instead of probing every device's parameters: among a
-- million devices, 2.4-10.9 s became index lookups. Tags (device_tags_tag), last inform
-- (devices_last_inform), serial number (devices_serial) and id (primary key) are indexed
-- already.
CREATE INDEX parameters_path_value ON parameters (path, value);
