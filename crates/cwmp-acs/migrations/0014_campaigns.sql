-- Campaigns: one task for every device a query matched, queued at a rate, canaries first,
-- halted past a failure share; each device's outcome kept so that a restart resumes.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    task TEXT NOT NULL,
    rate_per_minute INTEGER NOT NULL,
    canary_percent INTEGER NOT NULL,
    failure_percent INTEGER NOT NULL,
    state TEXT NOT NULL,
    canary_phase INTEGER NOT NULL,
    resolved INTEGER NOT NULL,
    next_queue_ms BIGINT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE TABLE campaign_devices (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    device_id TEXT NOT NULL,
    canary INTEGER NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT,
    detail TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, device_id)
);
CREATE INDEX campaign_devices_state ON campaign_devices (campaign_id, state, canary);
