-- Sessions that ended (connection lost, timeout, server crash) while the task was running,
-- its request on the wire and its outcome unknown: the engine reads the task's key back
-- from the next Inform, and faults a task interrupted too often instead of re-sending it.
ALTER TABLE tasks ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
