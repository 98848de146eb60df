//! Turns a protocol [`Measurement`] of a network into a [`MeasurementRecord`]: cell hash and
//! spec, network parameters, adapter and client info, a client-generated id and a timestamp.

use std::sync::atomic::{AtomicU64, Ordering};

use md5::{Digest, Md5};

use super::protocol::Measurement;
use super::record::{AdapterInfo, ClientInfo, MeasurementRecord, RunInfo, SCHEMA_VERSION};
use crate::engine::now_ms;
use crate::net::Net;

/// Where and as part of what a measurement was made.
#[derive(Clone, Debug, Default)]
pub struct RecordContext {
    pub adapter: AdapterInfo,
    pub client: ClientInfo,
    pub run: Option<RunInfo>,
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
}

/// A fresh id in UUID v4 format: MD5 of the wall-clock time, the monotonic clock, a process
/// counter and a stack address (unique per client and call; uploads are idempotent on it).
pub fn new_record_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let local = 0u8;
    let mut h = Md5::new();
    h.update(unix_ms().to_le_bytes());
    h.update(now_ms().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update((&local as *const u8 as usize).to_le_bytes());
    #[cfg(not(target_arch = "wasm32"))]
    h.update(std::process::id().to_le_bytes());
    let mut b: [u8; 16] = h.finalize().into();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

impl Measurement {
    /// The record of this measurement of `net`.
    pub fn into_record(self, net: &Net, ctx: RecordContext) -> MeasurementRecord {
        let cell = net.cell();
        MeasurementRecord {
            schema_version: SCHEMA_VERSION,
            id: new_record_id(),
            created_unix_ms: unix_ms(),
            hash: cell.hash(),
            cell: cell.to_spec(),
            network: net.config,
            wall: self.wall,
            gpu: self.gpu,
            mode: self.mode,
            layers: self.layers,
            layers_mode: self.layers_mode,
            mode_overheads: self.mode_overheads,
            warmup_runs: self.warmup_runs,
            noisy: self.noisy,
            timestamp_resolution_ns: self.timestamp_resolution_ns,
            kernels: Some(self.kernels),
            adapter: ctx.adapter,
            client: ctx.client,
            run: ctx.run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_v4_shaped_and_distinct() {
        let a = new_record_id();
        let b = new_record_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
