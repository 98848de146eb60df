//! The NAS-Bench-101 network builder: stem, stacks of cells with downsampling and channel
//! doubling, per-cell channel split, projections, truncation, add and concat, then global
//! average pool and the dense classifier, exactly as NAS-Bench-101's model builder does.

use serde::{Deserialize, Serialize};

use super::ir::{Layer, LayerKind, Net, Role, Shape, Site, Tensor, TensorId};
use super::precision::Precision;
use crate::space::{Cell, MAX_VERTICES};

/// Network hyper-parameters; the defaults are NAS-Bench-101's (CIFAR-10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetConfig {
    /// Images per inference.
    pub batch: usize,
    /// Height and width of the input image.
    pub input_size: usize,
    /// Channels of the input image.
    pub input_channels: usize,
    /// Output channels of the stem convolution (and of the cells of the first stack).
    pub stem_channels: usize,
    pub num_stacks: usize,
    pub cells_per_stack: usize,
    pub num_classes: usize,
    /// The number format the network runs in (absent in records made before it existed, and
    /// in every f32 record: f32).
    #[serde(default, skip_serializing_if = "Precision::is_f32")]
    pub precision: Precision,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            batch: 1,
            input_size: 32,
            input_channels: 3,
            stem_channels: 128,
            num_stacks: 3,
            cells_per_stack: 3,
            num_classes: 10,
            precision: Precision::F32,
        }
    }
}

impl NetConfig {
    /// The default (NAS-Bench-101) network at `precision`.
    pub fn default_at(precision: Precision) -> NetConfig {
        NetConfig { precision, ..NetConfig::default() }
    }

    /// Whether this is the default network at any precision: the network the predictors
    /// cover (a record's precision keys its device, so precisions never meet in one model).
    pub fn is_standard(&self) -> bool {
        *self == NetConfig::default_at(self.precision)
    }
}

/// Channel count of every vertex of `cell` for a cell mapping `c_in` to `c_out` channels.
pub fn vertex_channels(cell: &Cell, c_in: usize, c_out: usize) -> Vec<usize> {
    vertex_channels_array(cell, c_in, c_out)[..cell.num_vertices()].to_vec()
}

/// [`vertex_channels`] without allocating (entries past the cell's vertices are 0), for
/// callers that compute it for every cell of the space.
pub fn vertex_channels_array(cell: &Cell, c_in: usize, c_out: usize) -> [usize; MAX_VERTICES] {
    let n = cell.num_vertices();
    let out = n - 1;
    let mut ch = [0; MAX_VERTICES];
    ch[0] = c_in;
    ch[out] = c_out;
    if n == 2 {
        return ch;
    }
    // Vertices feeding the output share its channels, the first (c_out mod k) one more.
    let k = (1..out).filter(|&v| cell.has_edge(v, out)).count();
    let (base, mut extra) = (c_out / k, c_out % k);
    for v in (1..out).filter(|&v| cell.has_edge(v, out)) {
        ch[v] = base + usize::from(extra > 0);
        extra = extra.saturating_sub(1);
    }
    // The others, backwards: the largest channel count among the interior vertices they feed.
    for v in (1..out).rev() {
        if !cell.has_edge(v, out) {
            ch[v] = (v + 1..out).filter(|&d| cell.has_edge(v, d)).map(|d| ch[d]).max().unwrap_or(0);
        }
        debug_assert!(ch[v] > 0, "a pruned cell's interior vertex feeds something");
    }
    ch
}

struct Builder {
    batch: usize,
    tensors: Vec<Tensor>,
    layers: Vec<Layer>,
}

impl Builder {
    fn tensor(&mut self, shape: Shape, producer: Option<usize>) -> TensorId {
        let id = self.tensors.len();
        self.tensors.push(Tensor { id, shape, producer, consumers: Vec::new() });
        id
    }

    fn shape(&self, t: TensorId) -> Shape {
        self.tensors[t].shape
    }

    fn layer(&mut self, kind: LayerKind, inputs: Vec<TensorId>, name: String, role: Role, site: Option<Site>) -> TensorId {
        let first = self.shape(inputs[0]);
        let shape = match kind {
            LayerKind::Conv { c_out, .. } => Shape { c: c_out, ..first },
            LayerKind::MaxPool { stride, .. } => Shape { h: first.h.div_ceil(stride), w: first.w.div_ceil(stride), ..first },
            LayerKind::Truncate { c_out } => Shape { c: c_out, ..first },
            LayerKind::Add => first,
            LayerKind::Concat => Shape { c: inputs.iter().map(|&t| self.shape(t).c).sum(), ..first },
            LayerKind::GlobalAvgPool => Shape { h: 1, w: 1, ..first },
            LayerKind::Dense { c_out, .. } => Shape::new(self.batch, c_out, 1, 1),
        };
        let id = self.layers.len();
        let out = self.tensor(shape, Some(id));
        for &i in &inputs {
            self.tensors[i].consumers.push(id);
        }
        self.layers.push(Layer { id, kind, inputs, output: out, name, role, site });
        out
    }

    fn conv(&mut self, x: TensorId, k: usize, c_out: usize, name: String, role: Role, site: Option<Site>) -> TensorId {
        let c_in = self.shape(x).c;
        self.layer(LayerKind::Conv { k, c_in, c_out }, vec![x], name, role, site)
    }

    fn cell(&mut self, cell: &Cell, x: TensorId, c_out: usize, site: Site) -> TensorId {
        let n = cell.num_vertices();
        let out = n - 1;
        let ch = vertex_channels(cell, self.shape(x).c, c_out);
        let prefix = format!("s{}/c{}", site.stack, site.cell);
        let mut values: Vec<Option<TensorId>> = vec![None; n];
        values[0] = Some(x);
        for t in 1..out {
            let mut sum_in = Vec::new();
            for src in 1..t {
                if cell.has_edge(src, t) {
                    let v = values[src].expect("vertices are built in order");
                    let v = if self.shape(v).c == ch[t] {
                        v
                    } else {
                        self.layer(
                            LayerKind::Truncate { c_out: ch[t] },
                            vec![v],
                            format!("{prefix}/v{t}/truncate_v{src}"),
                            Role::VertexTruncate { vertex: t, from: src },
                            Some(site),
                        )
                    };
                    sum_in.push(v);
                }
            }
            if cell.has_edge(0, t) {
                sum_in.push(self.conv(x, 1, ch[t], format!("{prefix}/v{t}/projection"), Role::Projection { vertex: t }, Some(site)));
            }
            let vin = if sum_in.len() == 1 {
                sum_in[0]
            } else {
                self.layer(LayerKind::Add, sum_in, format!("{prefix}/v{t}/add"), Role::VertexSum { vertex: t }, Some(site))
            };
            let role = Role::VertexOp { vertex: t };
            let value = match cell.op(t) {
                crate::space::Op::Conv3x3 => self.conv(vin, 3, ch[t], format!("{prefix}/v{t}/conv3x3"), role, Some(site)),
                crate::space::Op::Conv1x1 => self.conv(vin, 1, ch[t], format!("{prefix}/v{t}/conv1x1"), role, Some(site)),
                crate::space::Op::MaxPool3x3 => {
                    self.layer(LayerKind::MaxPool { k: 3, stride: 1 }, vec![vin], format!("{prefix}/v{t}/maxpool3x3"), role, Some(site))
                }
                op => unreachable!("interior vertex with op {op}"),
            };
            values[t] = Some(value);
        }
        let feeding: Vec<TensorId> = (1..out).filter(|&v| cell.has_edge(v, out)).map(|v| values[v].unwrap()).collect();
        let proj = |b: &mut Builder| b.conv(x, 1, c_out, format!("{prefix}/out/projection"), Role::Projection { vertex: out }, Some(site));
        if feeding.is_empty() {
            return proj(self);
        }
        let cat =
            if feeding.len() == 1 { feeding[0] } else { self.layer(LayerKind::Concat, feeding, format!("{prefix}/out/concat"), Role::CellConcat, Some(site)) };
        if cell.has_edge(0, out) {
            let p = proj(self);
            self.layer(LayerKind::Add, vec![cat, p], format!("{prefix}/out/add"), Role::VertexSum { vertex: out }, Some(site))
        } else {
            cat
        }
    }
}

/// Builds the full network of a (validated, pruned) cell.
pub fn build(cell: &Cell, config: &NetConfig) -> Net {
    let mut b = Builder { batch: config.batch, tensors: Vec::new(), layers: Vec::new() };
    let input = b.tensor(Shape::new(config.batch, config.input_channels, config.input_size, config.input_size), None);
    let mut x = b.conv(input, 3, config.stem_channels, "stem/conv3x3".into(), Role::Stem, None);
    let mut channels = config.stem_channels;
    for stack in 0..config.num_stacks {
        if stack > 0 {
            x = b.layer(LayerKind::MaxPool { k: 2, stride: 2 }, vec![x], format!("s{stack}/downsample/maxpool2x2"), Role::Downsample, None);
            channels *= 2;
        }
        for c in 0..config.cells_per_stack {
            x = b.cell(cell, x, channels, Site { stack, cell: c });
        }
    }
    let pooled = b.layer(LayerKind::GlobalAvgPool, vec![x], "head/global_avg_pool".into(), Role::Head, None);
    let output = b.layer(LayerKind::Dense { c_in: channels, c_out: config.num_classes }, vec![pooled], "head/dense".into(), Role::Head, None);
    Net { config: *config, cell: cell.to_spec(), tensors: b.tensors, layers: b.layers, input, output }
}
