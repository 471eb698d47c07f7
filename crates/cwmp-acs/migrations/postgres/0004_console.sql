-- The console: users (argon2 PHC password hashes), their API tokens (SHA-256 digests), the
-- audit log of changes; campaigns and their devices; fleet samples for the overview chart.
-- (SQLite migrations 12 to 14.)
CREATE TABLE users (
    name TEXT COLLATE "C" PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE user_tokens (
    id TEXT COLLATE "C" PRIMARY KEY,
    user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    label TEXT NOT NULL,
    digest TEXT COLLATE "C" NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX user_tokens_user ON user_tokens (user_name);
CREATE SEQUENCE audit_log_seq;
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    time_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE TABLE campaigns (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    task TEXT NOT NULL,
    rate_per_minute INTEGER NOT NULL,
    canary_percent INTEGER NOT NULL,
    failure_percent INTEGER NOT NULL,
    state TEXT NOT NULL,
    canary_phase BOOLEAN NOT NULL,
    resolved BOOLEAN NOT NULL,
    next_queue_ms BIGINT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE TABLE campaign_devices (
    campaign_id TEXT COLLATE "C" NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    device_id TEXT COLLATE "C" NOT NULL,
    canary BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT,
    detail TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, device_id)
);
CREATE INDEX campaign_devices_state ON campaign_devices (campaign_id, state, canary);
CREATE TABLE fleet_samples (
    time_ms BIGINT PRIMARY KEY,
    total BIGINT NOT NULL,
    online BIGINT NOT NULL
);
