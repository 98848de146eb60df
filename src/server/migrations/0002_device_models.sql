-- The latest learning outcome per device (see src/server/learn.rs): a learned model, or why the
-- device was refused, or that it still waits for enough cells. Portable SQL, as 0001.
-- `device_key` is the same hex key as measurements.device_key; `device` the readable key
-- (measure::device_key) that the model file names as training.device.
CREATE TABLE device_models (
    device_key TEXT PRIMARY KEY NOT NULL,
    device TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    adapter TEXT NOT NULL,
    n_cells BIGINT NOT NULL,
    within_10 DOUBLE PRECISION,
    eval_cells BIGINT NOT NULL,
    records BIGINT NOT NULL,
    engine_version TEXT NOT NULL,
    method TEXT NOT NULL,
    trained_unix_ms BIGINT NOT NULL,
    model TEXT
);

CREATE UNIQUE INDEX device_models_name ON device_models (name);
