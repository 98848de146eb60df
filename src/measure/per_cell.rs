//! One device's records as the `(cell, ms)` pairs a device model is fitted on: the records of
//! that device key on the default network (at the precision the key names), merged per distinct cell (the median of their
//! median wall clocks), in the order each cell was first measured. The browser (refitting
//! after each cell) and the tests (native and wasm32) derive their pairs here, so the same
//! records give the same pairs everywhere.

use crate::net::Precision;
use crate::space::{Cell, ModuleHash};

use super::record::MeasurementRecord;

/// The distinct cells of `device`'s records with one wall-clock latency each (ms), in the
/// order of `records`. Records of other devices, of another network, whose cell does not
/// validate or whose median is not a positive number are skipped.
pub fn device_cells(records: &[MeasurementRecord], device: &str) -> Vec<(Cell, f64)> {
    let mut order: Vec<(ModuleHash, Cell, Vec<f64>)> = Vec::new();
    for r in records {
        let ms = r.wall.median_ms;
        if !(r.network.is_standard() && ms.is_finite() && ms > 0.0) || r.device_key() != device {
            continue;
        }
        let Ok(cell) = r.cell.validate() else { continue };
        match order.iter_mut().find(|(h, _, _)| *h == r.hash) {
            Some((_, _, v)) => v.push(ms),
            None => order.push((r.hash, cell, vec![ms])),
        }
    }
    order.into_iter().map(|(_, cell, mut v)| (cell, median(&mut v))).collect()
}

/// Whether the page's own model, now of `current`, moves to `rec`'s device. It does, except
/// for an f32 record of the device whose model is at f16 (a device with f16 measures at f16
/// first and may add f32 timings: its own model stays at f16).
pub fn model_follows(current: Option<&str>, rec: &MeasurementRecord) -> bool {
    let key = rec.device_key();
    match (current, rec.network.precision) {
        (Some(cur), Precision::F32) => cur != format!("{key} {}", Precision::F16.as_str()),
        _ => true,
    }
}

/// The device whose model the page keeps for these records (in measuring order): the latest
/// record's, as [`model_follows`] moves it.
pub fn model_device(records: &[MeasurementRecord]) -> Option<String> {
    records.iter().fold(None, |cur, r| if model_follows(cur.as_deref(), r) { Some(r.device_key()) } else { cur })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::AdapterInfo;
    use crate::net::NetConfig;
    use crate::space::CellSpec;

    fn record(cell: &Cell, description: &str, ms: f64) -> MeasurementRecord {
        let json = serde_json::json!({
            "schema_version": 1, "id": "x", "created_unix_ms": 0, "hash": cell.hash().to_hex(),
            "cell": cell.to_spec(), "network": NetConfig::default(),
            "wall": {"median_ms": ms, "p10_ms": ms, "p90_ms": ms, "mad_ms": 0.0, "cov": 0.0, "runs": 3}, "mode": "whole_pass", "warmup_runs": 1, "noisy": false,
            "kernels": "", "adapter": AdapterInfo { description: description.into(), backend: "webgpu".into(), ..AdapterInfo::default() },
            "client": { "user_agent": "", "engine_version": "0" },
        });
        serde_json::from_value(json).expect("a record")
    }

    #[test]
    fn f16_records_are_a_device_of_their_own_and_f32_records_keep_their_json() {
        let a = CellSpec::from_json_value(&serde_json::json!({"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","output"]}))
            .unwrap()
            .validate()
            .unwrap();
        let f32_rec = record(&a, "gpu", 1.0);
        let mut f16_rec = f32_rec.clone();
        f16_rec.network.precision = crate::net::Precision::F16;
        assert_eq!(f16_rec.device_key(), format!("{} f16", f32_rec.device_key()));
        assert!(device_cells(&[f32_rec.clone(), f16_rec.clone()], &f32_rec.device_key()).len() == 1);
        // The f16 device learns from its own records, and only from them.
        let f16_pairs = device_cells(&[f32_rec.clone(), f16_rec.clone()], &f16_rec.device_key());
        assert_eq!(f16_pairs.len(), 1);
        let mut other_net = f16_rec.clone();
        other_net.network.batch = 2;
        assert!(device_cells(&[other_net], &f16_rec.device_key()).is_empty());
        // The page's model stays with f16 when the same device adds f32 timings, and moves to
        // another device's f32 records.
        assert_eq!(model_device(&[f16_rec.clone(), f32_rec.clone()]), Some(f16_rec.device_key()));
        assert_eq!(model_device(&[f32_rec.clone(), f16_rec.clone(), f32_rec.clone()]), Some(f16_rec.device_key()));
        assert_eq!(model_device(std::slice::from_ref(&f32_rec)), Some(f32_rec.device_key()));
        let other = record(&a, "another gpu", 1.0);
        assert_eq!(model_device(&[f16_rec.clone(), other.clone()]), Some(other.device_key()));
        assert_eq!(model_device(&[]), None);
        // f32 records are written as before the field existed; f16 ones say so.
        assert!(!serde_json::to_string(&f32_rec).unwrap().contains("precision"));
        let json = serde_json::to_value(&f16_rec).unwrap();
        assert_eq!(json["network"]["precision"], "f16");
        assert_eq!(serde_json::from_value::<MeasurementRecord>(json).unwrap(), f16_rec);
    }

    #[test]
    fn one_median_per_distinct_cell_of_the_device_in_first_seen_order() {
        let a = CellSpec::from_json_value(&serde_json::json!({"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","output"]}))
            .unwrap()
            .validate()
            .unwrap();
        let b = CellSpec::from_json_value(
            &serde_json::json!({"module_adjacency": [[0,1,0],[0,0,1],[0,0,0]], "module_operations": ["input","conv3x3-bn-relu","output"]}),
        )
        .unwrap()
        .validate()
        .unwrap();
        let mut nan = record(&b, "gpu", 1.0);
        nan.wall.median_ms = f64::NAN;
        let recs = [record(&b, "gpu", 4.0), record(&a, "gpu", 1.0), record(&b, "gpu", 2.0), record(&a, "other", 9.0), nan];
        let key = recs[0].device_key();
        let pairs = device_cells(&recs, &key);
        assert_eq!(pairs.len(), 2);
        assert_eq!((pairs[0].0, pairs[0].1), (b, 3.0));
        assert_eq!((pairs[1].0, pairs[1].1), (a, 1.0));
    }
}
