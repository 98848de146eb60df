//! The collector against the real server over real HTTP: round trips, idempotency, malformed
//! input, static files and headers, limits, TLS, load and SIGKILL crash recovery, and the
//! learning of device models (job, refusals, `leti train --from-db`). Every
//! database test runs against SQLite and, when `LETI_TEST_POSTGRES_URL` is set, PostgreSQL.

mod support;

mod api;
mod learning;
mod load;
mod malformed;
