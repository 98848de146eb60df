//! Cell specs: parsing NAS-Bench-101's `module_adjacency` / `module_operations`, validation with
//! typed errors, and pruning exactly as NAS-Bench-101's `ModelSpec` does.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::hash::{module_hash, ModuleHash};
use super::op::Op;

/// Most vertices a (pruned) cell may have.
pub const MAX_VERTICES: usize = 7;
/// Most edges a (pruned) cell may have.
pub const MAX_EDGES: usize = 9;
/// Largest raw matrix we accept before pruning (a guard against absurd input).
pub const MAX_RAW_VERTICES: usize = 32;

/// Why a spec is not a valid NAS-Bench-101 cell. Every message names what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("wrong shape: {0}")]
    Shape(String),
    #[error("module_adjacency is empty: a cell needs at least an input and an output vertex")]
    Empty,
    #[error("module_adjacency is not square: row {row} has {len} entries but there are {rows} rows")]
    NotSquare { row: usize, len: usize, rows: usize },
    #[error("module_adjacency has {0} vertices; at most {MAX_RAW_VERTICES} are accepted before pruning")]
    TooLarge(usize),
    #[error("module_adjacency[{row}][{col}] is {value}; entries must be 0 or 1")]
    BadEntry { row: usize, col: usize, value: String },
    #[error("module_adjacency is not upper-triangular: entry [{row}][{col}] is 1 but edges may only go from a vertex to a later one")]
    NotUpperTriangular { row: usize, col: usize },
    #[error("module_operations has {ops} labels but module_adjacency has {vertices} vertices")]
    OpsLength { ops: usize, vertices: usize },
    #[error("unknown op {label:?} at vertex {index}; expected one of input, conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3, output")]
    UnknownOp { index: usize, label: String },
    #[error("vertex 0 must be \"input\" but is {0:?}")]
    InputNotFirst(String),
    #[error("the last vertex must be \"output\" but is {0:?}")]
    OutputNotLast(String),
    #[error("vertex {index} is {label:?}, but only the first vertex may be input and only the last output")]
    MisplacedEndpoint { index: usize, label: String },
    #[error("the input is not connected to the output: no path of edges leads from vertex 0 to the last vertex")]
    Disconnected,
    #[error("after pruning the cell has {0} vertices; at most {MAX_VERTICES} are allowed")]
    TooManyVertices(usize),
    #[error("after pruning the cell has {0} edges; at most {MAX_EDGES} are allowed")]
    TooManyEdges(usize),
}

/// A cell as written in NAS-Bench-101's field names; possibly unpruned or invalid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellSpec {
    pub module_adjacency: Vec<Vec<u8>>,
    pub module_operations: Vec<String>,
}

/// A validated, pruned cell: at most 7 vertices, input first, output last, strictly
/// upper-triangular, input connected to output, at most 9 edges. Small and `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cell {
    n: u8,
    /// `rows[i]` bit `j` set = edge `i -> j`.
    rows: [u8; MAX_VERTICES],
    ops: [Op; MAX_VERTICES],
}

/// The result of validating a spec: the pruned cell and, for each of its vertices, the index
/// it had in the original spec (vertices not listed were pruned away).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pruned {
    pub cell: Cell,
    pub kept: Vec<usize>,
}

impl CellSpec {
    pub fn new(module_adjacency: Vec<Vec<u8>>, module_operations: Vec<String>) -> Self {
        CellSpec { module_adjacency, module_operations }
    }

    /// Parses a JSON object with `module_adjacency` and `module_operations`, reporting
    /// shape and type problems in words rather than serde's.
    pub fn from_json_str(text: &str) -> Result<CellSpec, SpecError> {
        let v: Value = serde_json::from_str(text).map_err(|e| SpecError::Json(e.to_string()))?;
        CellSpec::from_json_value(&v)
    }

    /// Like [`CellSpec::from_json_str`] for an already parsed value.
    pub fn from_json_value(v: &Value) -> Result<CellSpec, SpecError> {
        let obj =
            v.as_object().ok_or_else(|| SpecError::Shape(format!("expected an object with module_adjacency and module_operations, got {}", json_kind(v))))?;
        let adj = obj.get("module_adjacency").ok_or_else(|| SpecError::Shape("missing field module_adjacency".into()))?;
        let ops = obj.get("module_operations").ok_or_else(|| SpecError::Shape("missing field module_operations".into()))?;
        let rows = adj.as_array().ok_or_else(|| SpecError::Shape(format!("module_adjacency must be a list of rows, got {}", json_kind(adj))))?;
        if rows.len() > MAX_RAW_VERTICES {
            return Err(SpecError::TooLarge(rows.len()));
        }
        let mut matrix = Vec::with_capacity(rows.len());
        for (r, row) in rows.iter().enumerate() {
            let entries = row.as_array().ok_or_else(|| SpecError::Shape(format!("module_adjacency row {r} must be a list, got {}", json_kind(row))))?;
            let mut out = Vec::with_capacity(entries.len());
            for (c, e) in entries.iter().enumerate() {
                match e.as_u64() {
                    Some(x @ (0 | 1)) => out.push(x as u8),
                    _ => return Err(SpecError::BadEntry { row: r, col: c, value: e.to_string() }),
                }
            }
            matrix.push(out);
        }
        let labels = ops.as_array().ok_or_else(|| SpecError::Shape(format!("module_operations must be a list of strings, got {}", json_kind(ops))))?;
        let mut names = Vec::with_capacity(labels.len());
        for (i, l) in labels.iter().enumerate() {
            match l.as_str() {
                Some(s) => names.push(s.to_string()),
                None => return Err(SpecError::UnknownOp { index: i, label: l.to_string() }),
            }
        }
        Ok(CellSpec::new(matrix, names))
    }

    /// Validates and prunes; the pruned cell is what is hashed, built and costed.
    pub fn validate(&self) -> Result<Cell, SpecError> {
        self.prune().map(|p| p.cell)
    }

    /// Validates and prunes, also telling which original vertices survive.
    pub fn prune(&self) -> Result<Pruned, SpecError> {
        let m = &self.module_adjacency;
        let n = check_matrix(m)?;
        let ops = self.parse_ops(n)?;
        let kept = kept_vertices(m);
        // NAS-Bench-101: fewer than two surviving vertices means input and output are not connected.
        if kept.len() < 2 || n < 2 {
            return Err(SpecError::Disconnected);
        }
        if kept.len() > MAX_VERTICES {
            return Err(SpecError::TooManyVertices(kept.len()));
        }
        let mut rows = [0u8; MAX_VERTICES];
        let mut cell_ops = [Op::Output; MAX_VERTICES];
        let mut edges = 0;
        for (i, &src) in kept.iter().enumerate() {
            cell_ops[i] = ops[src];
            for (j, &dst) in kept.iter().enumerate() {
                if m[src][dst] == 1 {
                    rows[i] |= 1 << j;
                    edges += 1;
                }
            }
        }
        if edges > MAX_EDGES {
            return Err(SpecError::TooManyEdges(edges));
        }
        Ok(Pruned { cell: Cell { n: kept.len() as u8, rows, ops: cell_ops }, kept })
    }

    /// The ops of an `n`-vertex spec: known labels, input first, output last, interior ops
    /// between.
    fn parse_ops(&self, n: usize) -> Result<Vec<Op>, SpecError> {
        if self.module_operations.len() != n {
            return Err(SpecError::OpsLength { ops: self.module_operations.len(), vertices: n });
        }
        let mut ops = Vec::with_capacity(n);
        for (i, label) in self.module_operations.iter().enumerate() {
            let op = Op::from_label(label).ok_or_else(|| SpecError::UnknownOp { index: i, label: label.clone() })?;
            ops.push(op);
        }
        if ops[0] != Op::Input {
            return Err(SpecError::InputNotFirst(self.module_operations[0].clone()));
        }
        if ops[n - 1] != Op::Output {
            return Err(SpecError::OutputNotLast(self.module_operations[n - 1].clone()));
        }
        if let Some(i) = (1..n - 1).find(|&i| !ops[i].is_interior()) {
            return Err(SpecError::MisplacedEndpoint { index: i, label: self.module_operations[i].clone() });
        }
        Ok(ops)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Cell {
    /// Builds a cell from parts the caller guarantees valid and already pruned
    /// (used by enumeration and unpacking, which generate only such cells).
    /// `rows[i]` bit `j` = edge `i -> j`.
    pub(crate) fn from_parts(n: usize, rows: [u8; MAX_VERTICES], ops: [Op; MAX_VERTICES]) -> Cell {
        debug_assert!((2..=MAX_VERTICES).contains(&n));
        Cell { n: n as u8, rows, ops }
    }

    /// Number of vertices (input and output included).
    pub fn num_vertices(&self) -> usize {
        self.n as usize
    }

    /// Whether there is an edge `src -> dst`.
    pub fn has_edge(&self, src: usize, dst: usize) -> bool {
        src < self.num_vertices() && dst < self.num_vertices() && self.rows[src] >> dst & 1 == 1
    }

    /// Bit row of out-edges of `v` (bit `j` = edge `v -> j`).
    pub fn out_bits(&self, v: usize) -> u8 {
        self.rows[v]
    }

    /// Bit column of in-edges of `v` (bit `i` = edge `i -> v`).
    pub fn in_bits(&self, v: usize) -> u8 {
        (0..self.num_vertices()).filter(|&i| self.has_edge(i, v)).fold(0, |a, i| a | 1 << i)
    }

    pub fn op(&self, v: usize) -> Op {
        self.ops[v]
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops[..self.num_vertices()]
    }

    pub fn num_edges(&self) -> usize {
        self.rows[..self.num_vertices()].iter().map(|r| r.count_ones() as usize).sum()
    }

    pub fn out_degree(&self, v: usize) -> usize {
        self.rows[v].count_ones() as usize
    }

    pub fn in_degree(&self, v: usize) -> usize {
        self.in_bits(v).count_ones() as usize
    }

    /// Index of the output vertex.
    pub fn output(&self) -> usize {
        self.num_vertices() - 1
    }

    /// The NAS-Bench-101 module hash of this (pruned) cell.
    pub fn hash(&self) -> ModuleHash {
        module_hash(self)
    }

    /// The cell in NAS-Bench-101's field names.
    pub fn to_spec(&self) -> CellSpec {
        let n = self.num_vertices();
        let adj = (0..n).map(|i| (0..n).map(|j| self.has_edge(i, j) as u8).collect()).collect();
        let ops = self.ops().iter().map(|o| o.label().to_string()).collect();
        CellSpec::new(adj, ops)
    }
}

/// Checks the adjacency matrix's shape and entries: non-empty, at most
/// [`MAX_RAW_VERTICES`], square, 0/1, strictly upper triangular. Returns its size.
fn check_matrix(m: &[Vec<u8>]) -> Result<usize, SpecError> {
    let n = m.len();
    if n == 0 {
        return Err(SpecError::Empty);
    }
    if n > MAX_RAW_VERTICES {
        return Err(SpecError::TooLarge(n));
    }
    for (r, row) in m.iter().enumerate() {
        if row.len() != n {
            return Err(SpecError::NotSquare { row: r, len: row.len(), rows: n });
        }
    }
    for (r, row) in m.iter().enumerate() {
        for (c, &x) in row.iter().enumerate() {
            if x > 1 {
                return Err(SpecError::BadEntry { row: r, col: c, value: x.to_string() });
            }
        }
    }
    for (r, row) in m.iter().enumerate() {
        for (c, &x) in row.iter().enumerate().take(r + 1) {
            if x != 0 {
                return Err(SpecError::NotUpperTriangular { row: r, col: c });
            }
        }
    }
    Ok(n)
}

/// The vertices both reachable from the input (forward) and reaching the output (backward),
/// in order: what NAS-Bench-101's pruning keeps.
fn kept_vertices(m: &[Vec<u8>]) -> Vec<usize> {
    let n = m.len();
    let mut from_input = vec![false; n];
    from_input[0] = true;
    for src in 0..n {
        if from_input[src] {
            for dst in src + 1..n {
                if m[src][dst] == 1 {
                    from_input[dst] = true;
                }
            }
        }
    }
    let mut to_output = vec![false; n];
    to_output[n - 1] = true;
    for dst in (0..n).rev() {
        if to_output[dst] {
            for src in 0..dst {
                if m[src][dst] == 1 {
                    to_output[src] = true;
                }
            }
        }
    }
    (0..n).filter(|&v| from_input[v] && to_output[v]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(adj: Vec<Vec<u8>>, ops: &[&str]) -> CellSpec {
        CellSpec::new(adj, ops.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn dangling_vertex_is_pruned_keeping_order() {
        // 0 -> 1 -> 3, 0 -> 2 (2 never reaches the output).
        let s = spec(vec![vec![0, 1, 1, 0], vec![0, 0, 0, 1], vec![0, 0, 0, 0], vec![0, 0, 0, 0]], &["input", "conv3x3-bn-relu", "maxpool3x3", "output"]);
        let p = s.prune().unwrap();
        assert_eq!(p.kept, vec![0, 1, 3]);
        assert_eq!(p.cell.to_spec().module_adjacency, vec![vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]]);
        assert_eq!(p.cell.ops(), &[Op::Input, Op::Conv3x3, Op::Output]);
    }

    #[test]
    fn vertex_unreachable_from_input_is_pruned() {
        // 1 -> 2 -> 3 but nothing enters 1; 0 -> 3 directly.
        let s = spec(vec![vec![0, 0, 0, 1], vec![0, 0, 1, 0], vec![0, 0, 0, 1], vec![0, 0, 0, 0]], &["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "output"]);
        let p = s.prune().unwrap();
        assert_eq!(p.kept, vec![0, 3]);
        assert_eq!(p.cell.num_edges(), 1);
    }

    #[test]
    fn input_not_reaching_output_is_invalid() {
        let s = spec(vec![vec![0, 1, 0], vec![0, 0, 0], vec![0, 0, 0]], &["input", "conv3x3-bn-relu", "output"]);
        assert_eq!(s.validate(), Err(SpecError::Disconnected));
    }

    #[test]
    fn pruning_can_bring_an_oversized_spec_within_limits() {
        // 8 vertices, one dangling: valid after pruning, as in NAS-Bench-101.
        let mut adj = vec![vec![0u8; 8]; 8];
        for v in 1..7 {
            adj[v - 1][v] = 1;
        }
        adj[6][7] = 1;
        adj[0][7] = 0;
        // Vertex 3 is made dangling: 2 -> 4 skips it, 3 has no out edge.
        adj[2][3] = 1;
        adj[3][4] = 0;
        adj[2][4] = 1;
        let mut ops = vec!["input"];
        ops.extend(std::iter::repeat_n("conv1x1-bn-relu", 6));
        ops.push("output");
        let p = spec(adj, &ops).prune().unwrap();
        assert_eq!(p.kept, vec![0, 1, 2, 4, 5, 6, 7]);
    }

    #[test]
    fn typed_errors_name_the_problem() {
        let ops3 = ["input", "conv3x3-bn-relu", "output"];
        assert_eq!(spec(vec![], &[]).validate(), Err(SpecError::Empty));
        assert!(matches!(spec(vec![vec![0, 1, 0], vec![0, 0], vec![0, 0, 0]], &ops3).validate(), Err(SpecError::NotSquare { row: 1, len: 2, rows: 3 })));
        assert!(matches!(spec(vec![vec![0, 2, 0], vec![0, 0, 1], vec![0, 0, 0]], &ops3).validate(), Err(SpecError::BadEntry { row: 0, col: 1, .. })));
        assert_eq!(spec(vec![vec![0, 1, 0], vec![0, 0, 1], vec![1, 0, 0]], &ops3).validate(), Err(SpecError::NotUpperTriangular { row: 2, col: 0 }));
        assert_eq!(spec(vec![vec![1, 1, 0], vec![0, 0, 1], vec![0, 0, 0]], &ops3).validate(), Err(SpecError::NotUpperTriangular { row: 0, col: 0 }));
        let chain = vec![vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]];
        assert!(matches!(spec(chain.clone(), &["input", "conv5x5", "output"]).validate(), Err(SpecError::UnknownOp { index: 1, .. })));
        assert!(matches!(spec(chain.clone(), &["conv3x3-bn-relu", "conv3x3-bn-relu", "output"]).validate(), Err(SpecError::InputNotFirst(_))));
        assert!(matches!(spec(chain.clone(), &["input", "conv3x3-bn-relu", "maxpool3x3"]).validate(), Err(SpecError::OutputNotLast(_))));
        assert!(matches!(spec(chain.clone(), &["input", "output", "output"]).validate(), Err(SpecError::MisplacedEndpoint { index: 1, .. })));
        assert!(matches!(spec(chain, &["input", "output"]).validate(), Err(SpecError::OpsLength { ops: 2, vertices: 3 })));
    }

    #[test]
    fn edge_and_vertex_limits_apply_after_pruning() {
        // Full 7-vertex DAG: 21 edges.
        let adj: Vec<Vec<u8>> = (0..7).map(|i| (0..7).map(|j| (j > i) as u8).collect()).collect();
        let mut ops = vec!["input"];
        ops.extend(std::iter::repeat_n("conv3x3-bn-relu", 5));
        ops.push("output");
        assert_eq!(spec(adj, &ops).validate(), Err(SpecError::TooManyEdges(21)));
        // 8-vertex chain: nothing to prune, too many vertices.
        let adj: Vec<Vec<u8>> = (0..8).map(|i| (0..8).map(|j| (j == i + 1) as u8).collect()).collect();
        let mut ops = vec!["input"];
        ops.extend(std::iter::repeat_n("maxpool3x3", 6));
        ops.push("output");
        assert_eq!(spec(adj, &ops).validate(), Err(SpecError::TooManyVertices(8)));
    }

    #[test]
    fn json_errors_are_worded() {
        assert!(matches!(CellSpec::from_json_str("{"), Err(SpecError::Json(_))));
        assert!(matches!(CellSpec::from_json_str("[1]"), Err(SpecError::Shape(_))));
        assert!(matches!(
            CellSpec::from_json_str(r#"{"module_adjacency": [[0, 0.5], [0, 0]], "module_operations": ["input", "output"]}"#),
            Err(SpecError::BadEntry { row: 0, col: 1, .. })
        ));
        let e = CellSpec::from_json_str(r#"{"module_operations": []}"#).unwrap_err();
        assert!(e.to_string().contains("module_adjacency"));
    }
}
