//! The Draw page's editor state, without the browser: a cell being drawn (ops in topological
//! order and forward edges between them), the edits a tap makes (toggle an edge, set an op,
//! remove or add a vertex), what a tap on a vertex means given the current selection, and
//! which vertices pruning would drop. The page keeps the cell as NAS-Bench-101 JSON; a
//! [`Draft`] is read from it and written back after every edit.

use crate::space::{CellSpec, Op, SpecError, MAX_VERTICES};

/// A cell being drawn: up to [`MAX_VERTICES`] vertices, vertex 0 the input, the last the
/// output, edges only from a vertex to a later one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    ops: Vec<Op>,
    /// `edges[a][b]` for `a < b`; entries with `a >= b` stay false.
    edges: Vec<Vec<bool>>,
}

/// Why an edit was refused (shown on the page).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("a vertex cannot connect to itself")]
    SelfLoop,
    #[error("vertex {0} does not exist")]
    NoVertex(usize),
    #[error("the input and output vertices stay; only the vertices between them can be removed or changed")]
    Endpoint,
    #[error("a cell has at most {MAX_VERTICES} vertices")]
    Full,
    #[error("{0} is not an op an interior vertex can have")]
    NotInterior(&'static str),
}

/// Why a spec cannot be drawn (it may still be fixed in the JSON box).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("the drawing shows cells of 2 to {MAX_VERTICES} vertices; this one has {0}")]
    Size(usize),
    #[error("the adjacency matrix must be square with one op per vertex")]
    Shape,
    #[error("vertex {0}'s op {1:?} is not one the drawing knows (input first, output last, conv3x3-bn-relu / conv1x1-bn-relu / maxpool3x3 between)")]
    Op(usize, String),
    #[error("entry [{0}][{1}] is not a forward edge (0 or 1 above the diagonal)")]
    Entry(usize, usize),
}

impl Draft {
    /// The input joined straight to the output.
    pub fn minimal() -> Draft {
        Draft { ops: vec![Op::Input, Op::Output], edges: vec![vec![false, true], vec![false, false]] }
    }

    /// Reads a spec as the editor can show it: 2..=7 vertices, input first, output last,
    /// interior ops only between, 0/1 entries above the diagonal only. Anything else the JSON
    /// box's validation reports in full.
    pub fn from_spec(spec: &CellSpec) -> Result<Draft, DraftError> {
        let n = spec.module_adjacency.len();
        if !(2..=MAX_VERTICES).contains(&n) {
            return Err(DraftError::Size(n));
        }
        if spec.module_operations.len() != n || spec.module_adjacency.iter().any(|r| r.len() != n) {
            return Err(DraftError::Shape);
        }
        let mut ops = Vec::with_capacity(n);
        for (v, label) in spec.module_operations.iter().enumerate() {
            let op = Op::from_label(label).filter(|op| match v {
                0 => *op == Op::Input,
                _ if v == n - 1 => *op == Op::Output,
                _ => Op::INTERIOR.contains(op),
            });
            ops.push(op.ok_or_else(|| DraftError::Op(v, label.clone()))?);
        }
        let mut edges = vec![vec![false; n]; n];
        for (a, row) in spec.module_adjacency.iter().enumerate() {
            for (b, &x) in row.iter().enumerate() {
                match (x, a < b) {
                    (0, _) => {}
                    (1, true) => edges[a][b] = true,
                    _ => return Err(DraftError::Entry(a, b)),
                }
            }
        }
        Ok(Draft { ops, edges })
    }

    /// The spec in NAS-Bench-101's field names.
    pub fn to_spec(&self) -> CellSpec {
        CellSpec::new(self.edges.iter().map(|r| r.iter().map(|&e| e as u8).collect()).collect(), self.ops.iter().map(|o| o.label().to_string()).collect())
    }

    pub fn num_vertices(&self) -> usize {
        self.ops.len()
    }

    pub fn op(&self, v: usize) -> Op {
        self.ops[v]
    }

    pub fn has_edge(&self, a: usize, b: usize) -> bool {
        a < b && self.edges[a][b]
    }

    /// Every edge `(from, to)`, `from < to`, in row order.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let n = self.ops.len();
        (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).filter(|&(a, b)| self.edges[a][b]).collect()
    }

    fn check(&self, v: usize) -> Result<(), EditError> {
        if v >= self.ops.len() {
            Err(EditError::NoVertex(v))
        } else {
            Ok(())
        }
    }

    fn check_interior(&self, v: usize) -> Result<(), EditError> {
        self.check(v)?;
        if v == 0 || v == self.ops.len() - 1 {
            return Err(EditError::Endpoint);
        }
        Ok(())
    }

    /// Adds the edge between `a` and `b` if it is missing, removes it if it is there. Edges
    /// only go forward (from the earlier vertex to the later one), whichever is tapped first.
    /// Returns whether the edge exists afterwards.
    pub fn toggle_edge(&mut self, a: usize, b: usize) -> Result<bool, EditError> {
        self.check(a)?;
        self.check(b)?;
        if a == b {
            return Err(EditError::SelfLoop);
        }
        let (from, to) = (a.min(b), a.max(b));
        self.edges[from][to] = !self.edges[from][to];
        Ok(self.edges[from][to])
    }

    /// Sets an interior vertex's op.
    pub fn set_op(&mut self, v: usize, op: Op) -> Result<(), EditError> {
        self.check_interior(v)?;
        if !Op::INTERIOR.contains(&op) {
            return Err(EditError::NotInterior(op.label()));
        }
        self.ops[v] = op;
        Ok(())
    }

    /// Removes an interior vertex with its edges; later vertices move up by one.
    pub fn remove_vertex(&mut self, v: usize) -> Result<(), EditError> {
        self.check_interior(v)?;
        self.ops.remove(v);
        self.edges.remove(v);
        for row in &mut self.edges {
            row.remove(v);
        }
        Ok(())
    }

    /// Adds a vertex with `op` just before the output, with no edges (connect it with taps).
    /// Returns its index.
    pub fn add_vertex(&mut self, op: Op) -> Result<usize, EditError> {
        if !Op::INTERIOR.contains(&op) {
            return Err(EditError::NotInterior(op.label()));
        }
        if self.ops.len() >= MAX_VERTICES {
            return Err(EditError::Full);
        }
        let at = self.ops.len() - 1;
        self.ops.insert(at, op);
        for row in &mut self.edges {
            row.insert(at, false);
        }
        let n = self.ops.len();
        self.edges.insert(at, vec![false; n]);
        Ok(at)
    }

    /// The vertices pruning drops: those not on any path from the input to the output.
    /// Empty when the input does not reach the output at all (then the cell is invalid, and
    /// the page says so instead).
    pub fn pruned_away(&self) -> Vec<usize> {
        let n = self.ops.len();
        let mut from_input = vec![false; n];
        from_input[0] = true;
        for a in 0..n {
            if from_input[a] {
                for b in a + 1..n {
                    from_input[b] |= self.edges[a][b];
                }
            }
        }
        let mut to_output = vec![false; n];
        to_output[n - 1] = true;
        for a in (0..n).rev() {
            to_output[a] = (a + 1..n).any(|b| self.edges[a][b] && to_output[b]) || a == n - 1;
        }
        if !from_input[n - 1] {
            return Vec::new();
        }
        (0..n).filter(|&v| !(from_input[v] && to_output[v])).collect()
    }
}

/// An edited draft judged by the cell rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A valid cell.
    Valid,
    /// Not a cell yet, but more drawing can make it one (e.g. not yet connected): kept, and
    /// flagged with the reason.
    Incomplete(String),
    /// Breaks a limit that only undoing the edit fixes (too many edges or vertices): refused,
    /// the last cell stays.
    Refused(String),
}

/// Judges a draft after an edit.
pub fn verdict(d: &Draft) -> Verdict {
    match d.to_spec().validate() {
        Ok(_) => Verdict::Valid,
        Err(e @ (SpecError::TooManyEdges(_) | SpecError::TooManyVertices(_))) => Verdict::Refused(e.to_string()),
        Err(e) => Verdict::Incomplete(e.to_string()),
    }
}

/// What the selection is after a tap, and which edit (if any) the tap asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TapOutcome {
    /// `v` is now selected: the page offers its ops / removal and waits for a second vertex.
    Selected(usize),
    /// The selection was tapped again: nothing is selected any more.
    Deselected,
    /// Two different vertices were tapped: toggle the edge between them, clear the selection.
    ToggleEdge(usize, usize),
}

/// The meaning of tapping vertex `v` when `selected` is selected.
pub fn tap(selected: Option<usize>, v: usize) -> TapOutcome {
    match selected {
        Some(s) if s == v => TapOutcome::Deselected,
        Some(s) => TapOutcome::ToggleEdge(s, v),
        None => TapOutcome::Selected(v),
    }
}

/// A short label for a vertex in the drawing.
pub fn short_label(op: Op) -> &'static str {
    match op {
        Op::Input => "in",
        Op::Output => "out",
        Op::Conv3x3 => "3×3",
        Op::Conv1x1 => "1×1",
        Op::MaxPool3x3 => "pool",
    }
}

/// A readable name of an op (buttons, screen readers).
pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Input => "input",
        Op::Output => "output",
        Op::Conv3x3 => "conv 3×3",
        Op::Conv1x1 => "conv 1×1",
        Op::MaxPool3x3 => "max-pool 3×3",
    }
}

/// The address of the Draw page showing `spec_json`: `/draw?cell=CODE` ([`Draft::code`]) for
/// any cell the drawing can show, else `/draw?spec=` with the JSON (compacted when it parses),
/// so that a shared link stays short.
pub fn draw_url(spec_json: &str) -> String {
    match CellSpec::from_json_str(spec_json) {
        Ok(spec) => match Draft::from_spec(&spec) {
            Ok(d) => format!("/draw?cell={}", d.code()),
            Err(_) => format!("/draw?spec={}", percent_encode(&serde_json::to_string(&spec).unwrap_or_else(|_| spec_json.to_string()))),
        },
        Err(_) => format!("/draw?spec={}", percent_encode(spec_json)),
    }
}

/// Letter of an interior op in a cell code.
fn op_letter(op: Op) -> char {
    match op {
        Op::Conv3x3 => '3',
        Op::Conv1x1 => '1',
        _ => 'm',
    }
}

impl Draft {
    /// A short code for the draft: its interior ops, one letter each (`3` conv 3×3, `1` conv
    /// 1×1, `m` max-pool 3×3), then `-` and the upper triangle of the adjacency matrix, row
    /// by row, as a hexadecimal number: the README cell is `1333m-1d0463`, and no cell takes
    /// more than 12 characters.
    pub fn code(&self) -> String {
        let n = self.ops.len();
        let ops: String = self.ops[1..n - 1].iter().map(|&o| op_letter(o)).collect();
        let mut bits: u32 = 0;
        for a in 0..n {
            for b in a + 1..n {
                bits = bits << 1 | u32::from(self.edges[a][b]);
            }
        }
        let digits = (n * (n - 1) / 2).div_ceil(4);
        format!("{ops}-{bits:0digits$x}")
    }

    /// Reads [`Draft::code`]'s form back; the error says what is wrong.
    pub fn from_code(code: &str) -> Result<Draft, String> {
        let (ops, hex) = code.split_once('-').ok_or("a cell code is the ops, a '-', then the edges")?;
        let n = ops.chars().count() + 2;
        if n > MAX_VERTICES {
            return Err(format!("a cell has at most {MAX_VERTICES} vertices; this code has {n}"));
        }
        let mut v = vec![Op::Input];
        for c in ops.chars() {
            v.push(match c {
                '3' => Op::Conv3x3,
                '1' => Op::Conv1x1,
                'm' => Op::MaxPool3x3,
                _ => return Err(format!("{c:?} is not an op letter (3, 1 or m)")),
            });
        }
        v.push(Op::Output);
        let pairs = n * (n - 1) / 2;
        if hex.len() != pairs.div_ceil(4) {
            return Err(format!("{n} vertices take {} hex digits of edges, not {}", pairs.div_ceil(4), hex.len()));
        }
        let bits = u32::from_str_radix(hex, 16).map_err(|_| format!("{hex:?} is not hexadecimal"))?;
        if bits >> pairs != 0 {
            return Err(format!("{hex:?} has more than {pairs} edge bits"));
        }
        let mut edges = vec![vec![false; n]; n];
        let mut k = pairs;
        for a in 0..n {
            for b in a + 1..n {
                k -= 1;
                edges[a][b] = bits >> k & 1 == 1;
            }
        }
        Ok(Draft { ops: v, edges })
    }
}

/// Encodes a query value (RFC 3986 unreserved characters kept), like `encodeURIComponent`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a percent-encoded query value (`+` is kept as is); `None` if it is not UTF-8 or
/// an escape is broken.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
