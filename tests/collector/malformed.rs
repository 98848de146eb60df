//! Table-driven: every kind of malformed input gets a 4xx with a stable JSON code and a message,
//! and leaves the database exactly as it was.

use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;

/// What a case sends.
enum Send {
    /// A POST body with a content type (None: no header).
    Post(Vec<u8>, Option<&'static str>),
    /// A GET of this path and query.
    Get(&'static str),
    /// Another method on the measurements endpoint.
    Method(reqwest::Method),
}

struct Case {
    name: &'static str,
    send: Send,
    status: u16,
    code: &'static str,
    /// For 422: the per-record code of the first error, and its index.
    record: Option<(usize, &'static str)>,
}

fn body(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A batch of the one (mutated) record `r`.
fn one(r: Value) -> Vec<u8> {
    body(json!({ "records": [r] }))
}

fn json_post(b: Vec<u8>) -> Send {
    Send::Post(b, Some("application/json"))
}

fn cases(good: &Value, stored: &Value) -> Vec<Case> {
    let with = |path: &[&str], v: Value| -> Value {
        let mut r = good.clone();
        let mut at = &mut r;
        for p in &path[..path.len() - 1] {
            at = at.get_mut(*p).unwrap_or_else(|| panic!("no field {p}"));
        }
        at[path[path.len() - 1]] = v;
        r
    };
    let without = |field: &str| -> Value {
        let mut r = good.clone();
        r.as_object_mut().unwrap().remove(field);
        r
    };
    let rec = |name, r: Value, code| Case { name, send: json_post(one(r)), status: 422, code: "invalid_records", record: Some((0, code)) };
    let req = |name, send, status, code| Case { name, send, status, code, record: None };
    // Cells, each breaking one NAS-Bench-101 rule (hash left as the good one's: the cell check comes first).
    let cell = |adj: Value, ops: Value| with(&["cell"], json!({ "module_adjacency": adj, "module_operations": ops }));
    let chain3 = json!([[0, 1, 0], [0, 0, 1], [0, 0, 0]]);
    let full7: Vec<Vec<u8>> = (0..7).map(|i| (0..7).map(|j| (j > i) as u8).collect()).collect();
    let chain8: Vec<Vec<u8>> = (0..8).map(|i| (0..8).map(|j| (j == i + 1) as u8).collect()).collect();
    let big: Vec<Vec<u8>> = vec![vec![0; 33]; 33];
    let mut ops7 = vec!["input"];
    ops7.extend(["conv3x3-bn-relu"; 5]);
    ops7.push("output");
    let mut ops8 = vec!["input"];
    ops8.extend(["maxpool3x3"; 6]);
    ops8.push("output");
    let names = |n: usize| -> Value { json!((0..n).map(|i| json!({"name": format!("s0/c0/v{i}/conv3x3"), "median_ms": 1.0})).collect::<Vec<_>>()) };
    let first_layer = good["layers"][0].clone();
    let long = "x".repeat(600);

    let mut many_layers = good["layers"].as_array().unwrap().clone();
    // More per-layer entries than the network has compute layers.
    many_layers.extend((0..400).map(|i| json!({"name": format!("extra/{i}"), "median_ms": 1.0})));

    let mut unpruned = good.clone();
    // The good record's cell is input -> conv3x3 -> output; add a dangling maxpool vertex.
    unpruned["cell"] = json!({
        "module_adjacency": [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
        "module_operations": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
    });
    let mut other_hash = good.clone();
    other_hash["hash"] = json!("00000000000000000000000000000000");

    let mut conflicting = stored.clone();
    conflicting["wall"]["median_ms"] = json!(99.0);
    conflicting["wall"]["p90_ms"] = json!(120.0);
    let dup_batch = vec![good.clone(), good.clone()];
    let oversized_batch: Vec<Value> = (0..51).map(|_| good.clone()).collect();
    // Just over the 512 KiB limit: the server reads (nearly) all of it before refusing, so the
    // client is not reset while still sending.
    let huge_body = {
        let mut r = good.clone();
        r["padding"] = json!("");
        let base = one(r.clone()).len();
        r["padding"] = json!("y".repeat(test_limits().max_body_bytes + 16 - base));
        one(r)
    };

    vec![
        // The body as a whole.
        req("not JSON", json_post(b"{\"records\": [".to_vec()), 400, "bad_json"),
        req("empty body", json_post(Vec::new()), 400, "bad_json"),
        req("trailing garbage", json_post(b"{\"records\": []} x".to_vec()), 400, "bad_json"),
        req("invalid UTF-8", json_post(b"{\"records\": [\"\xff\xfe\"]}".to_vec()), 400, "bad_json"),
        req("NaN literal", json_post(one(good.clone())).replace_median(b"NaN"), 400, "bad_json"),
        req("Infinity literal", json_post(one(good.clone())).replace_median(b"Infinity"), 400, "bad_json"),
        req("number beyond f64", json_post(one(good.clone())).replace_median(b"1e400"), 400, "bad_json"),
        req("top-level list", json_post(body(json!([good.clone()]))), 400, "bad_batch"),
        req("no records field", json_post(body(json!({ "record": [good.clone()] }))), 400, "bad_batch"),
        req("records is an object", json_post(body(json!({ "records": good.clone() }))), 400, "bad_batch"),
        req("records is null", json_post(body(json!({ "records": null }))), 400, "bad_batch"),
        req("empty batch", json_post(body(json!({ "records": [] }))), 400, "empty_batch"),
        req("oversized batch", json_post(body(json!({ "records": oversized_batch }))), 413, "batch_too_large"),
        req("oversized body", json_post(huge_body), 413, "body_too_large"),
        req("text/plain", Send::Post(one(good.clone()), Some("text/plain")), 415, "unsupported_media_type"),
        req("no content type", Send::Post(one(good.clone()), None), 415, "unsupported_media_type"),
        req("form content type", Send::Post(one(good.clone()), Some("application/x-www-form-urlencoded")), 415, "unsupported_media_type"),
        // The record's shape and types.
        rec("record is a string", json!("hello"), "not_an_object"),
        rec("record is a list", json!([1, 2]), "not_an_object"),
        rec("missing schema_version", without("schema_version"), "unsupported_schema_version"),
        rec("schema_version 2", with(&["schema_version"], json!(2)), "unsupported_schema_version"),
        rec("schema_version 0", with(&["schema_version"], json!(0)), "unsupported_schema_version"),
        rec("schema_version as string", with(&["schema_version"], json!("1")), "unsupported_schema_version"),
        rec("missing id", without("id"), "bad_field"),
        rec("id is a number", with(&["id"], json!(7)), "bad_field"),
        rec("id not a UUID", with(&["id"], json!("record-1")), "bad_id"),
        rec("id upper case", with(&["id"], json!(good["id"].as_str().unwrap().to_uppercase())), "bad_id"),
        rec("id overlong", with(&["id"], json!(long.clone())), "bad_id"),
        rec("missing wall", without("wall"), "bad_field"),
        rec("missing cell", without("cell"), "bad_field"),
        rec("median as \"NaN\" string", with(&["wall", "median_ms"], json!("NaN")), "bad_field"),
        rec("median null", with(&["wall", "median_ms"], Value::Null), "bad_field"),
        rec("runs negative", with(&["wall", "runs"], json!(-1)), "bad_field"),
        rec("unknown timing mode", with(&["mode"], json!("turbo")), "bad_field"),
        rec("created time negative", with(&["created_unix_ms"], json!(-5)), "bad_field"),
        rec("hash not hex", with(&["hash"], json!("zz".repeat(16))), "bad_field"),
        rec("hash too short", with(&["hash"], json!("abcd")), "bad_field"),
        rec("adjacency is a string", with(&["cell", "module_adjacency"], json!("0110")), "bad_field"),
        rec("adjacency entry 300", cell(json!([[0, 300], [0, 0]]), json!(["input", "output"])), "bad_field"),
        rec("network field missing", with(&["network"], json!({"batch": 1})), "bad_field"),
        // Statistics.
        rec("negative median", with(&["wall", "median_ms"], json!(-3.0)), "bad_stats"),
        rec("zero median", with(&["wall", "median_ms"], json!(0.0)), "bad_stats"),
        rec("huge median", with(&["wall", "median_ms"], json!(1e300)), "bad_stats"),
        rec("p10 above median", with(&["wall", "p10_ms"], json!(1000.0)), "bad_stats"),
        rec("median above p90", with(&["gpu", "p90_ms"], json!(0.001)), "bad_stats"),
        rec("zero runs", with(&["wall", "runs"], json!(0)), "bad_stats"),
        rec("negative cov", with(&["wall", "cov"], json!(-0.1)), "bad_stats"),
        rec("negative mad", with(&["gpu", "mad_ms"], json!(-1.0)), "bad_stats"),
        // The cell and its hash.
        rec("hash mismatch", other_hash, "hash_mismatch"),
        rec("unpruned cell", unpruned, "cell_not_pruned"),
        rec("cell: empty", cell(json!([]), json!([])), "invalid_cell"),
        rec("cell: not square", cell(json!([[0, 1], [0]]), json!(["input", "output"])), "invalid_cell"),
        rec("cell: too large", cell(json!(big), json!(vec!["input"; 33])), "invalid_cell"),
        rec("cell: entry 2", cell(json!([[0, 2], [0, 0]]), json!(["input", "output"])), "invalid_cell"),
        rec("cell: lower triangle", cell(json!([[0, 1], [1, 0]]), json!(["input", "output"])), "invalid_cell"),
        rec("cell: ops length", cell(chain3.clone(), json!(["input", "output"])), "invalid_cell"),
        rec("cell: unknown op", cell(chain3.clone(), json!(["input", "conv5x5", "output"])), "invalid_cell"),
        rec("cell: input not first", cell(chain3.clone(), json!(["conv3x3-bn-relu", "conv3x3-bn-relu", "output"])), "invalid_cell"),
        rec("cell: output not last", cell(chain3.clone(), json!(["input", "conv3x3-bn-relu", "maxpool3x3"])), "invalid_cell"),
        rec("cell: misplaced endpoint", cell(chain3.clone(), json!(["input", "output", "output"])), "invalid_cell"),
        rec("cell: disconnected", cell(json!([[0, 1, 0], [0, 0, 0], [0, 0, 0]]), json!(["input", "conv3x3-bn-relu", "output"])), "invalid_cell"),
        rec("cell: too many vertices", cell(json!(chain8), json!(ops8)), "invalid_cell"),
        rec("cell: too many edges", cell(json!(full7), json!(ops7)), "invalid_cell"),
        // The network.
        rec("stem channels 0", with(&["network", "stem_channels"], json!(0)), "bad_network"),
        rec("100 stacks", with(&["network", "num_stacks"], json!(100)), "bad_network"),
        rec("batch 100000", with(&["network", "batch"], json!(100000)), "bad_network"),
        // Per-layer times.
        rec("unknown layer name", with(&["layers"], json!([{"name": "s9/c9/v9/conv7x7", "median_ms": 1.0}])), "bad_layers"),
        rec("duplicate layer name", with(&["layers"], json!([first_layer.clone(), first_layer.clone()])), "bad_layers"),
        rec("more layers than the network", with(&["layers"], json!(many_layers)), "bad_layers"),
        rec("negative layer time", with(&["layers"], json!([{"name": first_layer["name"].clone(), "median_ms": -1.0}])), "bad_layers"),
        rec("layer names of another cell", with(&["layers"], names(3)), "bad_layers"),
        // Strings, times and counts.
        rec("overlong vendor", with(&["adapter", "vendor"], json!(long.clone())), "bad_string"),
        rec("overlong device label", with(&["client", "device_label"], json!("p".repeat(200))), "bad_string"),
        rec("control character in user agent", with(&["client", "user_agent"], json!("Mozilla\u{0007}")), "bad_string"),
        rec("overlong layer name", with(&["layers"], json!([{"name": long.clone(), "median_ms": 1.0}])), "bad_string"),
        rec("created at epoch 0", with(&["created_unix_ms"], json!(0)), "out_of_range"),
        rec("created next year", with(&["created_unix_ms"], json!(now_ms() + 366 * 24 * 3600 * 1000)), "out_of_range"),
        rec("negative timestamp resolution", with(&["timestamp_resolution_ns"], json!(-1.0)), "out_of_range"),
        rec(
            "mode overhead with zero wall time",
            with(&["mode_overheads"], json!([{"mode": "whole_pass", "wall_median_ms": 0.0, "ratio_to_plain": 1.0}])),
            "bad_stats",
        ),
        rec(
            "mode overhead listed twice",
            with(
                &["mode_overheads"],
                json!([{"mode": "per_pass", "wall_median_ms": 5.0, "ratio_to_plain": 1.1}, {"mode": "per_pass", "wall_median_ms": 5.0, "ratio_to_plain": 1.1}]),
            ),
            "out_of_range",
        ),
        rec("unknown timing mode", with(&["layers_mode"], json!("per_warp")), "bad_field"),
        rec("thermal ratio 0", with(&["run", "thermal_ratio"], json!(0.0)), "out_of_range"),
        rec("absurd warm-up count", with(&["warmup_runs"], json!(u32::MAX)), "out_of_range"),
        // Batches.
        Case {
            name: "duplicate ids in a batch",
            send: json_post(body(json!({ "records": dup_batch }))),
            status: 422,
            code: "invalid_records",
            record: Some((1, "duplicate_id")),
        },
        Case {
            name: "good record then a bad one",
            send: json_post(body(json!({ "records": [good.clone(), with(&["wall", "median_ms"], json!(-1.0))] }))),
            status: 422,
            code: "invalid_records",
            record: Some((1, "bad_stats")),
        },
        req("stored id with different content", json_post(one(conflicting)), 409, "id_conflict"),
        // Other endpoints.
        req("export format xml", Send::Get("/api/v1/measurements?format=xml"), 400, "bad_query"),
        req("export device not a key", Send::Get("/api/v1/measurements?device=../../etc"), 400, "bad_query"),
        req("export unknown parameter", Send::Get("/api/v1/measurements?limit=5"), 400, "bad_query"),
        req("unknown endpoint", Send::Get("/api/v1/nothing"), 404, "not_found"),
        req("DELETE", Send::Method(reqwest::Method::DELETE), 405, "method_not_allowed"),
        req("PUT", Send::Method(reqwest::Method::PUT), 405, "method_not_allowed"),
    ]
}

/// Replaces the good record's wall median (5.0) with raw bytes, for non-JSON numbers.
trait ReplaceMedian {
    fn replace_median(self, with: &[u8]) -> Send;
}

impl ReplaceMedian for Send {
    fn replace_median(self, with: &[u8]) -> Send {
        let Send::Post(body, ct) = self else { unreachable!() };
        let text = String::from_utf8(body).unwrap();
        let needle = "\"median_ms\":5.0";
        assert!(text.contains(needle));
        let replaced = text.replacen(needle, &format!("\"median_ms\":{}", String::from_utf8_lossy(with)), 1);
        Send::Post(replaced.into_bytes(), ct)
    }
}

async fn malformed_input_is_refused_and_changes_nothing(b: Backend) {
    let mut config = b.config();
    config.limits = test_limits();
    config.limits.rate_per_minute = 0;
    let server = start(&config).await;
    let base = server.url();
    let c = client();
    // One stored record (for the conflict case) and a fresh one to mutate.
    let stored = crate::support::record(&cell_with_conv(), 0, 0, true);
    let (s, r) = post(&c, &base, batch_json(std::slice::from_ref(&stored))).await;
    assert_eq!(s, 200, "{r}");
    let mut good = crate::support::record(&cell_with_conv(), 1, 0, true);
    good.wall.median_ms = 5.0;
    let good = serde_json::to_value(&good).unwrap();
    let stored = serde_json::to_value(&stored).unwrap();
    let before = export(&c, &base).await;

    let cases = cases(&good, &stored);
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let req = match case.send {
            Send::Post(body, ct) => {
                let mut r = c.post(format!("{base}/api/v1/measurements")).body(body);
                if let Some(ct) = ct {
                    r = r.header("content-type", ct);
                }
                r
            }
            Send::Get(path) => c.get(format!("{base}{path}")),
            Send::Method(m) => c.request(m, format!("{base}/api/v1/measurements")),
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let is_json = resp.headers().get("content-type").is_some_and(|v| v == "application/json");
        let reply: Value = resp.json().await.unwrap_or(Value::Null);
        let mut ok = status == case.status && is_json && reply["code"] == case.code;
        ok &= reply["message"].as_str().is_some_and(|m| m.len() > 10);
        if let Some((index, code)) = case.record {
            let first = &reply["errors"][0];
            ok &= first["index"] == index && first["code"] == code && first["message"].as_str().is_some_and(|m| !m.is_empty());
            ok &= reply["errors"].as_array().map(Vec::len) == Some(1);
        }
        if !ok {
            failures.push(format!("{}: expected {} {} {:?}, got {status} {reply}", case.name, case.status, case.code, case.record));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(export(&c, &base).await, before, "the database is unchanged");
    assert_eq!(server.store.count(None).await.unwrap(), 1);
    server.shutdown().await.unwrap();
}
both_backends!(malformed_input_is_refused_and_changes_nothing);

/// input -> conv3x3 -> output.
fn cell_with_conv() -> leti::space::CellSpec {
    leti::space::CellSpec::new(vec![vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]], vec!["input".into(), "conv3x3-bn-relu".into(), "output".into()])
}
