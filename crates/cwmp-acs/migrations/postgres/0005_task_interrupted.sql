-- Sessions that ended while the task was running (SQLite migration 12): see
-- migrations/0012_task_interrupted.sql.
ALTER TABLE tasks ADD COLUMN interrupted BIGINT NOT NULL DEFAULT 0;
