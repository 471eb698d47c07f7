-- A task that completes is deleted (GenieACS: scripts poll GET /tasks until it is gone); its
-- answer travels on the event stream. A faulted task keeps its fault and the same fault is
-- open on the device's channel `task_<id>`, listed by GET /faults.
DELETE FROM tasks WHERE status = 'done';
INSERT INTO faults (device_id, channel, code, message, detail, retries, timestamp_ms)
SELECT device_id, 'task_' || id, COALESCE(fault_code, 'unknown'), COALESCE(fault_message, ''),
    fault_detail, CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, created_ms
FROM tasks WHERE status = 'fault'
ON CONFLICT (device_id, channel) DO NOTHING;
