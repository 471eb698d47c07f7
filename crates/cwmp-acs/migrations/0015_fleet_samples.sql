-- Samples of the fleet over time (online/offline), for the console's overview chart.
CREATE TABLE fleet_samples (
    time_ms BIGINT PRIMARY KEY,
    total BIGINT NOT NULL,
    online BIGINT NOT NULL
);
