//! Where the CLI finds a cell in one JSON value: the value itself when it is a cell spec (it has
//! `module_adjacency`), else its `cell` field (a measurement record, a line of `leti anchors`).
//! One rule for `leti measure --cells`, `leti predict` and `leti export-onnx`.

use serde_json::Value;

/// The cell spec inside `v`, or `None` when `v` is neither a spec nor has a `cell` field.
pub fn spec_value(v: &Value) -> Option<&Value> {
    if v.get("module_adjacency").is_some() {
        Some(v)
    } else {
        v.get("cell")
    }
}

#[cfg(test)]
mod tests {
    use super::spec_value;
    use serde_json::json;

    #[test]
    fn a_spec_is_itself_and_a_record_gives_its_cell() {
        let spec = json!({"module_adjacency": [[0, 1], [0, 0]], "module_operations": ["input", "output"]});
        assert_eq!(spec_value(&spec), Some(&spec));
        let record = json!({"cell": spec.clone(), "ms": 3.5});
        assert_eq!(spec_value(&record), Some(&spec));
        // A spec that also has a `cell` field is read as the spec.
        let both = json!({"module_adjacency": [[0, 1], [0, 0]], "module_operations": ["input", "output"], "cell": 1});
        assert_eq!(spec_value(&both), Some(&both));
        assert_eq!(spec_value(&json!({"ms": 1})), None);
        assert_eq!(spec_value(&json!([1, 2])), None);
    }
}
