-- Presets gain GenieACS's `channel` and `schedule` ("<seconds> <cron>"), and their events
-- become GenieACS's map: `true` must occur in the Inform, `false` must not. An event list of
-- an earlier build becomes a map of required events.
ALTER TABLE presets ADD COLUMN channel TEXT NOT NULL DEFAULT 'default';
ALTER TABLE presets ADD COLUMN schedule TEXT;
UPDATE presets SET events = (
    SELECT COALESCE(json_group_object(value, json('true')), '{}') FROM json_each(presets.events)
) WHERE json_type(events) = 'array';
