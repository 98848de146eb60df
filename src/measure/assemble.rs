//! Turns a protocol [`Measurement`] of a network into a [`MeasurementRecord`]: cell hash and
//! spec, network parameters, adapter and client info, a client-generated id and a timestamp.

use super::protocol::Measurement;
use super::record::{AdapterInfo, ClientInfo, MeasurementRecord, RunInfo, SCHEMA_VERSION};
use crate::engine::unix_ms;
use crate::net::Net;

/// Where and as part of what a measurement was made.
#[derive(Clone, Debug, Default)]
pub struct RecordContext {
    pub adapter: AdapterInfo,
    pub client: ClientInfo,
    pub run: Option<RunInfo>,
}

/// A fresh random UUID v4 (unique per client and call; uploads are idempotent on it).
pub fn new_record_id() -> String {
    uuid::Uuid::new_v4().to_string()
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
            limits: Some(self.limits),
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
