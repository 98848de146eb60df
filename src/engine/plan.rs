//! The planner: turns a [`Net`] into a list of kernel steps once per network, and places every
//! activation in one arena by lifetime (regions are reused once their tensors are dead).
//!
//! Rules: a truncation is a view (same offset, fewer channels); the inputs of a concat are
//! written by their producers straight into channel ranges of the concat's region (no copy);
//! an add whose last-produced input is a convolution read by nothing else, with one other
//! input (two under plan 3), is fused into that convolution's epilogue (`relu(conv) +
//! residuals`); the 1x1
//! projections of one cell's input that carry no fused add run as one convolution (their
//! weights stacked along output channels) writing a region in which each projection's output
//! is a channel range. Everything is NCHW, so all of these are contiguous ranges. Pure data:
//! no GPU objects here.

use crate::net::{Layer, LayerId, LayerKind, Net, Role, Shape, TensorId};

/// The planner's rule sets. A rule that changes the launches changes every timing, so
/// measurement records name the rules after the kernels ([`PlanRules::suffix`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PlanRules {
    /// One launch per layer but views and concats, conv + add fused (records made before
    /// plans were named were made with these, and name none).
    Layerwise,
    /// Also each cell's unfused projections merged into one launch.
    MergedProjections,
    /// Also three-input adds fused into their last convolution's epilogue (two residuals).
    #[default]
    FusedAdds,
}

impl PlanRules {
    pub const ALL: [PlanRules; 3] = [PlanRules::Layerwise, PlanRules::MergedProjections, PlanRules::FusedAdds];

    /// The name benchmarks and options use.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanRules::Layerwise => "layerwise",
            PlanRules::MergedProjections => "merged-projections",
            PlanRules::FusedAdds => "fused-adds",
        }
    }

    /// The rules named `name` (see [`PlanRules::as_str`]).
    pub fn from_name(name: &str) -> Option<PlanRules> {
        PlanRules::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Every rule set's name, comma-separated (for errors that list the choices).
    pub fn names() -> String {
        PlanRules::ALL.map(PlanRules::as_str).join(", ")
    }

    /// What a record's kernel configuration appends for these rules: nothing for the
    /// layerwise plan (so it reads as records made before plans were named), else `; plan N
    /// (...)`.
    pub fn suffix(self) -> &'static str {
        match self {
            PlanRules::Layerwise => "",
            PlanRules::MergedProjections => "; plan 2 (projections merged)",
            PlanRules::FusedAdds => "; plan 3 (projections merged, 3-input adds fused)",
        }
    }

    /// The most inputs an add fused into a conv epilogue may have under these rules.
    fn max_fused_add_inputs(self) -> usize {
        match self {
            PlanRules::Layerwise | PlanRules::MergedProjections => 2,
            PlanRules::FusedAdds => 3,
        }
    }
}

/// Where a tensor lives in the arena, in f32 elements: image `n` of the tensor starts at
/// `offset + n * bstride`, and within an image it is a contiguous C x H x W block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorRef {
    pub offset: usize,
    pub bstride: usize,
}

/// One kernel launch.
#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    /// `weights_of`: the layers whose weights (and biases) it applies, stacked along output
    /// channels in this order (one layer, or the projections of a merged step).
    Conv {
        k: usize,
        c_in: usize,
        c_out: usize,
        h: usize,
        w: usize,
        src: TensorRef,
        /// The fused add's other inputs (0 to 2), added after ReLU.
        res: Vec<TensorRef>,
        dst: TensorRef,
        weights_of: Vec<LayerId>,
    },
    MaxPool {
        k: usize,
        stride: usize,
        c: usize,
        h: usize,
        w: usize,
        src: TensorRef,
        dst: TensorRef,
    },
    Add {
        per_image: usize,
        srcs: Vec<TensorRef>,
        dst: TensorRef,
    },
    GlobalAvgPool {
        c: usize,
        hw: usize,
        src: TensorRef,
        dst: TensorRef,
    },
    Dense {
        c_in: usize,
        c_out: usize,
        src: TensorRef,
        dst: TensorRef,
        weights_of: LayerId,
    },
}

/// A step with the IR layers it implements (a fused conv + add implements both; a merged
/// projection step every projection it computes).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub layers: Vec<LayerId>,
    /// The name of the main IR layer (the conv for a fused conv + add; `s0/c1/projections` for
    /// a cell's merged projections).
    pub name: String,
    /// Multiply-accumulates of the step (convolutions and dense only).
    pub macs: u64,
}

/// The plan of a network: steps in execution order and the arena they work in.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub steps: Vec<Step>,
    /// Arena size in f32 elements.
    pub arena_elements: usize,
    /// Where every IR tensor lives (`None` for a convolution output fused into its add).
    pub refs: Vec<Option<TensorRef>>,
    pub batch: usize,
}

/// Arena offsets are multiples of this many elements (vec4 kernels need 4; 64 keeps regions
/// on 256-byte boundaries).
pub const ALIGN: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the network has a concat input `{0}` that is not produced by a kernel (cannot be written in place)")]
    ConcatInput(String),
    #[error("add `{0}` has {1} inputs; the add kernel takes 2 to 5")]
    AddArity(String, usize),
}

/// Plans `net` by `rules`. With `reuse = false` every tensor keeps its own region (so all intermediate
/// tensors can be read back after a run: for tests); otherwise regions are reused by lifetime.
///
/// Phases: 1. fuse conv + add pairs, and group each cell's unfused projections; 2. alias
/// views, concat inputs and grouped projections into their parents; 3. one step per
/// remaining layer or group, noting the root tensors it touches; 4. root lifetimes in steps;
/// 5. first-fit arena placement; 6. resolve every step's tensor references.
pub fn schedule(net: &Net, reuse: bool, rules: PlanRules) -> Result<Schedule, PlanError> {
    let fusion = Fusion::of(net, rules);
    let merged = Merged::of(net, &fusion, rules);
    let alias = Aliases::of(net, &fusion, &merged)?;
    let (mut steps, touches) = steps_of(net, &fusion, &merged, &alias)?;
    let life = lifetimes(net, &merged, &alias, &touches, steps.len());
    let (root_off, arena) = place(net, &fusion, &merged, &alias, &life, reuse);
    let mut refs: Vec<Option<TensorRef>> = (0..merged.shapes.len())
        .map(|t| {
            let (root, off) = alias.resolve(&merged, t);
            (root_off[root] != usize::MAX).then(|| {
                let s = merged.shapes[root];
                TensorRef { offset: root_off[root] + off, bstride: s.c * s.h * s.w }
            })
        })
        .collect();
    for step in &mut steps {
        resolve_step(&mut step.kind, &refs);
    }
    refs.truncate(net.tensors.len());
    Ok(Schedule { steps, arena_elements: arena.max(ALIGN), refs, batch: net.config.batch })
}

/// Phase 1: which convolutions carry the add they feed in their epilogue (an add of up to
/// `rules.max_fused_add_inputs()` inputs whose last-produced input is a conv read by nothing else).
struct Fusion {
    /// Conv layer -> the add fused into it.
    into: Vec<Option<LayerId>>,
    /// Whether an add is fused into its conv (and so launches nothing).
    is_fused_add: Vec<bool>,
}

impl Fusion {
    fn of(net: &Net, rules: PlanRules) -> Fusion {
        let mut f = Fusion { into: vec![None; net.layers.len()], is_fused_add: vec![false; net.layers.len()] };
        for layer in &net.layers {
            if layer.kind != LayerKind::Add || layer.inputs.len() > rules.max_fused_add_inputs() {
                continue;
            }
            let last = *layer.inputs.iter().max_by_key(|&&t| net.tensors[t].producer.map_or(0, |p| p + 1)).unwrap();
            let Some(p) = net.tensors[last].producer else { continue };
            if matches!(net.layers[p].kind, LayerKind::Conv { .. }) && net.tensors[last].consumers == [layer.id] && net.output != last {
                f.into[p] = Some(layer.id);
                f.is_fused_add[layer.id] = true;
            }
        }
        f
    }
}

/// Phase 1, second part: the projections of one cell's input that no add is fused into, in
/// groups of two or more, each computed by one launch into a region of its own. The region is
/// a planner tensor past the IR's (id `net.tensors.len() + group`), so `shapes` lists the IR
/// tensors' shapes and then the groups'.
struct Merged {
    /// Projection layers of each group, in layer order.
    groups: Vec<Vec<LayerId>>,
    /// Layer -> its group.
    group_of: Vec<Option<usize>>,
    shapes: Vec<Shape>,
    ir_tensors: usize,
}

impl Merged {
    fn of(net: &Net, fusion: &Fusion, rules: PlanRules) -> Merged {
        let mut groups: Vec<Vec<LayerId>> = Vec::new();
        for layer in &net.layers {
            let mergeable = rules != PlanRules::Layerwise
                && matches!(layer.role, Role::Projection { .. })
                && matches!(layer.kind, LayerKind::Conv { k: 1, .. })
                && fusion.into[layer.id].is_none()
                && layer.output != net.output;
            if !mergeable {
                continue;
            }
            match groups.iter_mut().find(|g| net.layers[g[0]].inputs[0] == layer.inputs[0]) {
                Some(g) => g.push(layer.id),
                None => groups.push(vec![layer.id]),
            }
        }
        groups.retain(|g| g.len() > 1);
        let mut group_of = vec![None; net.layers.len()];
        let mut shapes: Vec<Shape> = net.tensors.iter().map(|t| t.shape).collect();
        for (i, g) in groups.iter().enumerate() {
            g.iter().for_each(|&l| group_of[l] = Some(i));
            let c = g.iter().map(|&l| net.tensors[net.layers[l].output].shape.c).sum();
            shapes.push(Shape { c, ..net.tensors[net.layers[g[0]].output].shape });
        }
        Merged { groups, group_of, shapes, ir_tensors: net.tensors.len() }
    }

    /// The planner tensor group `g` writes.
    fn tensor(&self, g: usize) -> TensorId {
        self.ir_tensors + g
    }
}

/// Phase 2: (parent tensor, channel offset) of each view, concat input and merged projection.
struct Aliases(Vec<Option<(TensorId, usize)>>);

impl Aliases {
    fn of(net: &Net, fusion: &Fusion, merged: &Merged) -> Result<Aliases, PlanError> {
        let mut alias = vec![None; merged.shapes.len()];
        for (g, layers) in merged.groups.iter().enumerate() {
            let mut c = 0;
            for &l in layers {
                let out = net.layers[l].output;
                alias[out] = Some((merged.tensor(g), c));
                c += net.tensors[out].shape.c;
            }
        }
        for layer in &net.layers {
            match layer.kind {
                LayerKind::Truncate { .. } => alias[layer.output] = Some((layer.inputs[0], 0)),
                LayerKind::Concat => {
                    let mut c = 0;
                    for &t in &layer.inputs {
                        let produced_by_kernel = net.tensors[t].producer.is_some_and(|p| {
                            let k = net.layers[p].kind;
                            !k.is_view() && k != LayerKind::Concat && fusion.into[p].is_none()
                        });
                        if !produced_by_kernel || alias[t].is_some() || t == net.input {
                            return Err(PlanError::ConcatInput(format!("{}#{t}", layer.name)));
                        }
                        alias[t] = Some((layer.output, c));
                        c += net.tensors[t].shape.c;
                    }
                }
                _ => {}
            }
        }
        Ok(Aliases(alias))
    }

    /// The root tensor `t` lives in and its element offset within the root's image.
    fn resolve(&self, merged: &Merged, mut t: TensorId) -> (TensorId, usize) {
        let mut off = 0;
        while let Some((parent, c)) = self.0[t] {
            let s = merged.shapes[t];
            off += c * s.h * s.w;
            t = parent;
        }
        (t, off)
    }

    /// Whether `t` has a region of its own: not a view, concat input or merged projection,
    /// not a fused conv output.
    fn is_root(&self, net: &Net, fusion: &Fusion, t: TensorId) -> bool {
        self.0[t].is_none() && net.tensors.get(t).is_none_or(|t| t.producer.is_none_or(|p| fusion.into[p].is_none()))
    }
}

/// Phase 3: one step per layer that launches a kernel, and one per merged group at its first
/// projection (references still name tensors), and the root tensors each step touches.
fn steps_of(net: &Net, fusion: &Fusion, merged: &Merged, alias: &Aliases) -> Result<(Vec<Step>, Vec<Vec<TensorId>>), PlanError> {
    let mut steps = Vec::new();
    let mut touches = Vec::new();
    let root = |t: TensorId| alias.resolve(merged, t).0;
    for layer in &net.layers {
        if layer.kind.is_view() || layer.kind == LayerKind::Concat || fusion.is_fused_add[layer.id] {
            continue;
        }
        if let Some(g) = merged.group_of[layer.id] {
            if merged.groups[g][0] == layer.id {
                steps.push(merged_step(net, merged, g));
                touches.push(vec![root(layer.inputs[0]), merged.tensor(g)]);
            }
            continue;
        }
        let out_tensor = fusion.into[layer.id].map_or(layer.output, |a| net.layers[a].output);
        let mut touched: Vec<TensorId> = layer.inputs.iter().map(|&t| root(t)).collect();
        touched.push(root(out_tensor));
        let mut layers = vec![layer.id];
        let mut res = Vec::new();
        if let Some(a) = fusion.into[layer.id] {
            layers.push(a);
            res.extend(net.layers[a].inputs.iter().copied().filter(|&t| t != layer.output));
            touched.extend(res.iter().map(|&t| root(t)));
        }
        let (kind, macs) = step_kind(net, layer, out_tensor, res)?;
        steps.push(Step { kind, layers, name: layer.name.clone(), macs });
        touches.push(touched);
    }
    Ok((steps, touches))
}

/// The one 1x1 convolution computing merged group `g`: the cell input to every projection's
/// channels at once, written to the group's region.
fn merged_step(net: &Net, merged: &Merged, g: usize) -> Step {
    let layers = merged.groups[g].clone();
    let first = &net.layers[layers[0]];
    let x = net.tensors[first.inputs[0]].shape;
    let c_out = merged.shapes[merged.tensor(g)].c;
    let name = match first.site {
        Some(site) => format!("s{}/c{}/projections", site.stack, site.cell),
        None => format!("{}+{}", first.name, layers.len() - 1),
    };
    let macs = (x.c * c_out * x.h * x.w * net.config.batch) as u64;
    let kind = StepKind::Conv {
        k: 1,
        c_in: x.c,
        c_out,
        h: x.h,
        w: x.w,
        src: tref(first.inputs[0]),
        res: Vec::new(),
        dst: tref(merged.tensor(g)),
        weights_of: layers.clone(),
    };
    Step { kind, layers, name, macs }
}

/// The kernel step of `layer` writing `out` (with the residuals `res` of a fused add), and its
/// multiply-accumulates.
fn step_kind(net: &Net, layer: &Layer, out: TensorId, res: Vec<TensorId>) -> Result<(StepKind, u64), PlanError> {
    let batch = net.config.batch;
    let in_shape = net.tensors[layer.inputs[0]].shape;
    let (src, dst) = (tref(layer.inputs[0]), tref(out));
    Ok(match layer.kind {
        LayerKind::Conv { k, c_in, c_out } => (
            StepKind::Conv { k, c_in, c_out, h: in_shape.h, w: in_shape.w, src, res: res.into_iter().map(tref).collect(), dst, weights_of: vec![layer.id] },
            (k * k * c_in * c_out * in_shape.h * in_shape.w * batch) as u64,
        ),
        LayerKind::MaxPool { k, stride } => (StepKind::MaxPool { k, stride, c: in_shape.c, h: in_shape.h, w: in_shape.w, src, dst }, 0),
        LayerKind::Add => {
            if !(2..=5).contains(&layer.inputs.len()) {
                return Err(PlanError::AddArity(layer.name.clone(), layer.inputs.len()));
            }
            (StepKind::Add { per_image: in_shape.c * in_shape.h * in_shape.w, srcs: layer.inputs.iter().map(|&t| tref(t)).collect(), dst }, 0)
        }
        LayerKind::GlobalAvgPool => (StepKind::GlobalAvgPool { c: in_shape.c, hw: in_shape.h * in_shape.w, src, dst }, 0),
        LayerKind::Dense { c_in, c_out } => (StepKind::Dense { c_in, c_out, src, dst, weights_of: layer.id }, (c_in * c_out * batch) as u64),
        LayerKind::Truncate { .. } | LayerKind::Concat => unreachable!("views and concats launch nothing"),
    })
}

/// Phase 4: the first and last step touching each root. The input stays alive throughout
/// (repeated runs re-read it), and the output until the end (read back).
fn lifetimes(net: &Net, merged: &Merged, alias: &Aliases, touches: &[Vec<TensorId>], end: usize) -> Vec<Option<(usize, usize)>> {
    let mut life: Vec<Option<(usize, usize)>> = vec![None; merged.shapes.len()];
    for (s, roots) in touches.iter().enumerate() {
        for &r in roots {
            let l = life[r].get_or_insert((s, s));
            l.0 = l.0.min(s);
            l.1 = l.1.max(s);
        }
    }
    for t in [net.input, alias.resolve(merged, net.output).0] {
        let l = life[t].get_or_insert((0, end));
        l.1 = end;
        if t == net.input {
            l.0 = 0;
        }
    }
    life
}

/// Phase 5: first fit in offset order among regions whose lifetimes overlap (all of them
/// without `reuse`). Returns each root's offset (`usize::MAX`: not placed) and the arena size.
fn place(net: &Net, fusion: &Fusion, merged: &Merged, alias: &Aliases, life: &[Option<(usize, usize)>], reuse: bool) -> (Vec<usize>, usize) {
    let nt = merged.shapes.len();
    let mut order: Vec<TensorId> = (0..nt).filter(|&t| alias.is_root(net, fusion, t) && life[t].is_some()).collect();
    order.sort_by_key(|&t| (life[t].unwrap().0, t));
    let mut root_off = vec![usize::MAX; nt];
    let mut placed: Vec<(usize, usize, usize)> = Vec::new(); // (offset, size, last step)
    let mut arena = 0;
    for &t in &order {
        let (first, last) = life[t].unwrap();
        let size = merged.shapes[t].elements().div_ceil(ALIGN) * ALIGN;
        if reuse {
            placed.retain(|&(_, _, l)| l >= first);
        }
        placed.sort_unstable();
        let mut off = 0;
        for &(o, s, _) in &placed {
            if off + size <= o {
                break;
            }
            off = off.max(o + s);
        }
        placed.push((off, size, last));
        root_off[t] = off;
        arena = arena.max(off + size);
    }
    (root_off, arena)
}

/// Phase 6: replaces the tensor ids in a step's references by their arena places.
fn resolve_step(kind: &mut StepKind, refs: &[Option<TensorRef>]) {
    let fix = |r: &mut TensorRef| *r = refs[r.offset].expect("referenced tensors are placed");
    match kind {
        StepKind::Conv { src, res, dst, .. } => {
            fix(src);
            res.iter_mut().for_each(fix);
            fix(dst);
        }
        StepKind::MaxPool { src, dst, .. } | StepKind::GlobalAvgPool { src, dst, .. } | StepKind::Dense { src, dst, .. } => {
            fix(src);
            fix(dst);
        }
        StepKind::Add { srcs, dst, .. } => {
            srcs.iter_mut().for_each(fix);
            fix(dst);
        }
    }
}

/// A placeholder reference naming a tensor (resolved to its arena place at the end of planning).
fn tref(t: TensorId) -> TensorRef {
    TensorRef { offset: t, bstride: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{build, NetConfig};
    use crate::space::CellSpec;

    fn net(adj: Vec<Vec<u8>>, ops: &[&str]) -> Net {
        let spec = CellSpec::new(adj, ops.iter().map(|s| s.to_string()).collect());
        let cfg = NetConfig { input_size: 8, stem_channels: 8, num_stacks: 2, cells_per_stack: 2, ..NetConfig::default() };
        build(&spec.validate().unwrap(), &cfg)
    }

    fn branchy() -> Net {
        // v1 feeds v2 and the output; v2 feeds the output; input feeds v1 and the output.
        net(vec![vec![0, 1, 0, 1], vec![0, 0, 1, 1], vec![0, 0, 0, 1], vec![0, 0, 0, 0]], &["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
    }

    /// Regions of tensors alive in the same step never overlap, and concat inputs sit inside
    /// their concat at their channel offsets.
    #[test]
    fn live_regions_are_disjoint_and_concats_are_in_place() {
        let net = branchy();
        let sch = schedule(&net, true, PlanRules::default()).unwrap();
        let mut reads_writes = 0;
        for step in &sch.steps {
            if let StepKind::Conv { src, dst, res, .. } = &step.kind {
                reads_writes += 1;
                assert_ne!(src.offset, dst.offset);
                for r in res {
                    assert_ne!(r.offset, dst.offset);
                }
            }
        }
        assert!(reads_writes > 0);
        for layer in net.layers.iter().filter(|l| l.kind == LayerKind::Concat) {
            let out = sch.refs[layer.output].unwrap();
            let mut c = 0;
            for &t in &layer.inputs {
                let s = net.tensors[t].shape;
                assert_eq!(sch.refs[t].unwrap().offset, out.offset + c * s.h * s.w);
                c += s.c;
            }
        }
        // No step for views, concats or fused adds; fused convs carry both layers.
        assert!(sch.steps.iter().all(|s| !s.name.contains("truncate") && !s.name.ends_with("concat")));
        assert!(sch.steps.iter().any(|s| s.layers.len() == 2));
        let no_reuse = schedule(&net, false, PlanRules::default()).unwrap();
        assert!(sch.arena_elements < no_reuse.arena_elements);
    }

    /// Symbolic execution of the schedule: every element a step reads must still hold the value
    /// written by the step that produced it in the IR (so no reuse clobbers a live tensor).
    #[test]
    fn no_step_reads_a_clobbered_value() {
        for (net, reuse) in [(branchy(), true), (branchy(), false), (projected(), true), (projected(), false), (three_way(), true), (three_way(), false)] {
            let sch = schedule(&net, reuse, PlanRules::default()).unwrap();
            let step_of = |layer: usize| sch.steps.iter().position(|s| s.layers.contains(&layer));
            // (offset within the tensor's image, length, writer step) pieces of a tensor.
            fn pieces(net: &Net, t: usize, step_of: &dyn Fn(usize) -> Option<usize>) -> Vec<(usize, usize, usize)> {
                let s = net.tensors[t].shape;
                let Some(p) = net.tensors[t].producer else { return vec![(0, s.c * s.h * s.w, usize::MAX)] };
                let layer = &net.layers[p];
                match layer.kind {
                    LayerKind::Truncate { .. } => pieces(net, layer.inputs[0], step_of).into_iter().filter(|x| x.0 < s.c * s.h * s.w).collect(),
                    LayerKind::Concat => {
                        let mut out = Vec::new();
                        let mut base = 0;
                        for &i in &layer.inputs {
                            out.extend(pieces(net, i, step_of).into_iter().map(|(o, l, w)| (o + base, l, w)));
                            base += net.tensors[i].shape.elements();
                        }
                        out
                    }
                    _ => vec![(0, s.c * s.h * s.w, step_of(p).unwrap())],
                }
            }
            let mut tag = vec![usize::MAX - 1; sch.arena_elements];
            let r = sch.refs[net.input].unwrap();
            tag[r.offset..r.offset + net.tensors[net.input].shape.elements()].fill(usize::MAX);
            let mut checked = 0;
            for (si, step) in sch.steps.iter().enumerate() {
                // A step reads its layers' inputs that none of them writes, and writes the
                // outputs none of them reads (a fused add's sum; every merged projection).
                let layers: Vec<&Layer> = step.layers.iter().map(|&l| &net.layers[l]).collect();
                let inner = |t: &usize| layers.iter().any(|l| l.output == *t) && layers.iter().any(|l| l.inputs.contains(t));
                let mut reads: Vec<usize> = layers.iter().flat_map(|l| l.inputs.iter().copied()).filter(|t| !inner(t)).collect();
                reads.dedup();
                for t in reads {
                    let r = sch.refs[t].unwrap();
                    for (o, l, w) in pieces(&net, t, &step_of) {
                        assert!(tag[r.offset + o..r.offset + o + l].iter().all(|&x| x == w), "step {} reads clobbered {t}", step.name);
                        checked += 1;
                    }
                }
                for out in layers.iter().map(|l| l.output).filter(|t| !inner(t)) {
                    let r = sch.refs[out].unwrap();
                    tag[r.offset..r.offset + net.tensors[out].shape.elements()].fill(si);
                }
            }
            assert!(checked > sch.steps.len());
        }
    }

    /// Input feeds v1 (conv3x3), v2 (maxpool) and v3 (conv1x1, also fed by v1: its
    /// projection carries the add); v1, v2 and v3 feed the output.
    fn projected() -> Net {
        net(
            vec![vec![0, 1, 1, 1, 0], vec![0, 0, 0, 1, 1], vec![0, 0, 0, 0, 1], vec![0, 0, 0, 0, 1], vec![0; 5]],
            &["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu", "output"],
        )
    }

    /// v4 sums v1 (conv3x3), v2 (max-pool) and v3 (conv3x3, read by v4 alone); each of v1, v2
    /// and v3 takes the input alone.
    fn three_way() -> Net {
        net(
            vec![vec![0, 1, 1, 1, 0, 0], vec![0, 0, 0, 0, 1, 0], vec![0, 0, 0, 0, 1, 0], vec![0, 0, 0, 0, 1, 0], vec![0, 0, 0, 0, 0, 1], vec![0; 6]],
            &["input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
        )
    }

    /// Plan 3 fuses a 3-input add into its last conv (two residuals); plan 2 launches it.
    #[test]
    fn three_input_adds_fuse_under_plan_3() {
        let net = three_way();
        let cells = net.config.num_stacks * net.config.cells_per_stack;
        let (p2, p3) = (schedule(&net, true, PlanRules::MergedProjections).unwrap(), schedule(&net, true, PlanRules::FusedAdds).unwrap());
        assert_eq!(p2.steps.iter().filter(|s| matches!(s.kind, StepKind::Add { .. })).count(), cells);
        assert!(p3.steps.iter().all(|s| !matches!(s.kind, StepKind::Add { .. })));
        assert_eq!(p3.steps.len(), p2.steps.len() - cells);
        let fused: Vec<&Step> = p3.steps.iter().filter(|s| s.name.ends_with("v3/conv3x3")).collect();
        assert_eq!(fused.len(), cells);
        for s in fused {
            let StepKind::Conv { ref res, .. } = s.kind else { panic!("{s:?}") };
            assert_eq!((res.len(), s.layers.len()), (2, 2), "two residuals; the conv and its add");
        }
    }

    /// A cell's projections that carry no add run as one step into one region, each at its
    /// channel range; the one with a fused add keeps its own step.
    #[test]
    fn a_cells_unfused_projections_run_as_one_step() {
        let net = projected();
        let sch = schedule(&net, true, PlanRules::default()).unwrap();
        let cells = net.config.num_stacks * net.config.cells_per_stack;
        let merged: Vec<&Step> = sch.steps.iter().filter(|s| s.name.ends_with("/projections")).collect();
        assert_eq!(merged.len(), cells);
        let projections = net.layers.iter().filter(|l| matches!(l.role, Role::Projection { .. })).count();
        assert_eq!(projections, 3 * cells);
        for step in merged {
            let StepKind::Conv { k: 1, c_out, dst, ref weights_of, .. } = step.kind else { panic!("{step:?}") };
            assert_eq!(weights_of, &step.layers, "the weights stack in the projections' channel order");
            assert_eq!(step.layers.len(), 2);
            let mut c = 0;
            for &l in &step.layers {
                let out = net.tensors[net.layers[l].output].shape;
                assert_eq!(sch.refs[net.layers[l].output].unwrap(), TensorRef { offset: dst.offset + c * out.h * out.w, bstride: dst.bstride });
                c += out.c;
            }
            assert_eq!(c, c_out);
        }
        // The projection carrying v3's add still has its own (fused) step.
        assert_eq!(sch.steps.iter().filter(|s| s.name.ends_with("v3/projection") && s.layers.len() == 2).count(), cells);
        let unmerged = net.compute_layers().filter(|l| l.kind != LayerKind::Concat).count() - cells;
        assert_eq!(sch.steps.len(), unmerged - cells, "one add fused and one projection merged per cell");
        let layerwise = schedule(&net, true, PlanRules::Layerwise).unwrap();
        assert_eq!(schedule(&net, true, PlanRules::MergedProjections).unwrap().steps.len(), sch.steps.len(), "no 3-input add here");
        assert_eq!(layerwise.steps.len(), unmerged);
        assert!(layerwise.steps.iter().all(|s| s.layers.len() == 1 || s.name.ends_with("v3/projection")));
    }
}
