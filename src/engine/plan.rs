//! The planner: turns a [`Net`] into a list of kernel steps once per network, and places every
//! activation in one arena by lifetime (regions are reused once their tensors are dead).
//!
//! Rules: a truncation is a view (same offset, fewer channels); the inputs of a concat are
//! written by their producers straight into channel ranges of the concat's region (no copy);
//! an add whose last-produced input is a convolution read by nothing else, with exactly one
//! other input, is fused into that convolution's epilogue (`relu(conv) + residual`). Everything
//! is NCHW, so all of these are contiguous ranges. Pure data: no GPU objects here.

use crate::net::{Layer, LayerId, LayerKind, Net, TensorId};

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
    Conv { k: usize, c_in: usize, c_out: usize, h: usize, w: usize, src: TensorRef, res: Option<TensorRef>, dst: TensorRef, weights_of: LayerId },
    MaxPool { k: usize, stride: usize, c: usize, h: usize, w: usize, src: TensorRef, dst: TensorRef },
    Add { per_image: usize, srcs: Vec<TensorRef>, dst: TensorRef },
    GlobalAvgPool { c: usize, hw: usize, src: TensorRef, dst: TensorRef },
    Dense { c_in: usize, c_out: usize, src: TensorRef, dst: TensorRef, weights_of: LayerId },
}

/// A step with the IR layers it implements (a fused conv + add implements both).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub layers: Vec<LayerId>,
    /// The name of the main IR layer (the conv for a fused conv + add).
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
    /// Where every tensor lives (`None` for a convolution output fused into its add).
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

/// Plans `net`. With `reuse = false` every tensor keeps its own region (so all intermediate
/// tensors can be read back after a run: for tests); otherwise regions are reused by lifetime.
///
/// Phases: 1. fuse conv + add pairs; 2. alias views and concat inputs into their parents;
/// 3. one step per remaining layer, noting the root tensors it touches; 4. root lifetimes
/// in steps; 5. first-fit arena placement; 6. resolve every step's tensor references.
pub fn schedule(net: &Net, reuse: bool) -> Result<Schedule, PlanError> {
    let fusion = Fusion::of(net);
    let alias = Aliases::of(net, &fusion)?;
    let (mut steps, touches) = steps_of(net, &fusion, &alias)?;
    let life = lifetimes(net, &alias, &touches, steps.len());
    let (root_off, arena) = place(net, &fusion, &alias, &life, reuse);
    let refs: Vec<Option<TensorRef>> = (0..net.tensors.len())
        .map(|t| {
            let (root, off) = alias.resolve(net, t);
            (root_off[root] != usize::MAX).then(|| {
                let s = net.tensors[root].shape;
                TensorRef { offset: root_off[root] + off, bstride: s.c * s.h * s.w }
            })
        })
        .collect();
    for step in &mut steps {
        resolve_step(&mut step.kind, &refs);
    }
    Ok(Schedule { steps, arena_elements: arena.max(ALIGN), refs, batch: net.config.batch })
}

/// Phase 1: which convolutions carry the add they feed in their epilogue.
struct Fusion {
    /// Conv layer -> the add fused into it.
    into: Vec<Option<LayerId>>,
    /// Whether an add is fused into its conv (and so launches nothing).
    is_fused_add: Vec<bool>,
}

impl Fusion {
    fn of(net: &Net) -> Fusion {
        let mut f = Fusion { into: vec![None; net.layers.len()], is_fused_add: vec![false; net.layers.len()] };
        for layer in &net.layers {
            if layer.kind != LayerKind::Add || layer.inputs.len() != 2 {
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

/// Phase 2: (parent tensor, channel offset) of each view and concat input.
struct Aliases(Vec<Option<(TensorId, usize)>>);

impl Aliases {
    fn of(net: &Net, fusion: &Fusion) -> Result<Aliases, PlanError> {
        let mut alias = vec![None; net.tensors.len()];
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
    fn resolve(&self, net: &Net, mut t: TensorId) -> (TensorId, usize) {
        let mut off = 0;
        while let Some((parent, c)) = self.0[t] {
            let s = net.tensors[t].shape;
            off += c * s.h * s.w;
            t = parent;
        }
        (t, off)
    }

    /// Whether `t` has a region of its own: not a view or concat input, not a fused conv output.
    fn is_root(&self, net: &Net, fusion: &Fusion, t: TensorId) -> bool {
        self.0[t].is_none() && net.tensors[t].producer.is_none_or(|p| fusion.into[p].is_none())
    }
}

/// Phase 3: one step per layer that launches a kernel (references still name tensors), and
/// the root tensors each step touches.
fn steps_of(net: &Net, fusion: &Fusion, alias: &Aliases) -> Result<(Vec<Step>, Vec<Vec<TensorId>>), PlanError> {
    let mut steps = Vec::new();
    let mut touches = Vec::new();
    let root = |t: TensorId| alias.resolve(net, t).0;
    for layer in &net.layers {
        if layer.kind.is_view() || layer.kind == LayerKind::Concat || fusion.is_fused_add[layer.id] {
            continue;
        }
        let out_tensor = fusion.into[layer.id].map_or(layer.output, |a| net.layers[a].output);
        let mut touched: Vec<TensorId> = layer.inputs.iter().map(|&t| root(t)).collect();
        touched.push(root(out_tensor));
        let mut layers = vec![layer.id];
        let res = fusion.into[layer.id].map(|a| {
            layers.push(a);
            let other = *net.layers[a].inputs.iter().find(|&&t| t != layer.output).unwrap();
            touched.push(root(other));
            other
        });
        let (kind, macs) = step_kind(net, layer, out_tensor, res)?;
        steps.push(Step { kind, layers, name: layer.name.clone(), macs });
        touches.push(touched);
    }
    Ok((steps, touches))
}

/// The kernel step of `layer` writing `out` (with the residual `res` of a fused add), and its
/// multiply-accumulates.
fn step_kind(net: &Net, layer: &Layer, out: TensorId, res: Option<TensorId>) -> Result<(StepKind, u64), PlanError> {
    let batch = net.config.batch;
    let in_shape = net.tensors[layer.inputs[0]].shape;
    let (src, dst) = (tref(layer.inputs[0]), tref(out));
    Ok(match layer.kind {
        LayerKind::Conv { k, c_in, c_out } => (
            StepKind::Conv { k, c_in, c_out, h: in_shape.h, w: in_shape.w, src, res: res.map(tref), dst, weights_of: layer.id },
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
fn lifetimes(net: &Net, alias: &Aliases, touches: &[Vec<TensorId>], end: usize) -> Vec<Option<(usize, usize)>> {
    let mut life: Vec<Option<(usize, usize)>> = vec![None; net.tensors.len()];
    for (s, roots) in touches.iter().enumerate() {
        for &r in roots {
            let l = life[r].get_or_insert((s, s));
            l.0 = l.0.min(s);
            l.1 = l.1.max(s);
        }
    }
    for t in [net.input, alias.resolve(net, net.output).0] {
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
fn place(net: &Net, fusion: &Fusion, alias: &Aliases, life: &[Option<(usize, usize)>], reuse: bool) -> (Vec<usize>, usize) {
    let nt = net.tensors.len();
    let mut order: Vec<TensorId> = (0..nt).filter(|&t| alias.is_root(net, fusion, t) && life[t].is_some()).collect();
    order.sort_by_key(|&t| (life[t].unwrap().0, t));
    let mut root_off = vec![usize::MAX; nt];
    let mut placed: Vec<(usize, usize, usize)> = Vec::new(); // (offset, size, last step)
    let mut arena = 0;
    for &t in &order {
        let (first, last) = life[t].unwrap();
        let size = net.tensors[t].shape.elements().div_ceil(ALIGN) * ALIGN;
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
            if let Some(r) = res {
                fix(r);
            }
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
        let sch = schedule(&net, true).unwrap();
        let mut reads_writes = 0;
        for step in &sch.steps {
            if let StepKind::Conv { src, dst, res, .. } = &step.kind {
                reads_writes += 1;
                assert_ne!(src.offset, dst.offset);
                if let Some(r) = res {
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
        let no_reuse = schedule(&net, false).unwrap();
        assert!(sch.arena_elements < no_reuse.arena_elements);
    }

    /// Symbolic execution of the schedule: every element a step reads must still hold the value
    /// written by the step that produced it in the IR (so no reuse clobbers a live tensor).
    #[test]
    fn no_step_reads_a_clobbered_value() {
        for reuse in [true, false] {
            let net = branchy();
            let sch = schedule(&net, reuse).unwrap();
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
                let main = &net.layers[step.layers[0]];
                let mut reads: Vec<usize> = main.inputs.clone();
                if step.layers.len() == 2 {
                    reads.extend(net.layers[step.layers[1]].inputs.iter().filter(|&&t| t != main.output));
                }
                for t in reads {
                    let r = sch.refs[t].unwrap();
                    for (o, l, w) in pieces(&net, t, &step_of) {
                        assert!(tag[r.offset + o..r.offset + o + l].iter().all(|&x| x == w), "step {} reads clobbered {t}", step.name);
                        checked += 1;
                    }
                }
                let out = net.layers[*step.layers.last().unwrap()].output;
                let r = sch.refs[out].unwrap();
                tag[r.offset..r.offset + net.tensors[out].shape.elements()].fill(si);
            }
            assert!(checked > sch.steps.len());
        }
    }
}
