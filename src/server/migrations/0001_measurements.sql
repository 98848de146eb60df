-- One row per accepted measurement record. Portable SQL: the same migration runs on SQLite
-- and PostgreSQL. `record` holds the record's canonical JSON exactly as exported.
CREATE TABLE measurements (
    id TEXT PRIMARY KEY NOT NULL,
    hash TEXT NOT NULL,
    device_key TEXT NOT NULL,
    device TEXT NOT NULL,
    created_unix_ms BIGINT NOT NULL,
    received_unix_ms BIGINT NOT NULL,
    record TEXT NOT NULL
);

CREATE INDEX measurements_hash ON measurements (hash);
CREATE INDEX measurements_created ON measurements (created_unix_ms, id);
CREATE INDEX measurements_device ON measurements (device_key, created_unix_ms, id);
