// global_avg_pool.wgsl — mean over height and width: out[n, c] = mean_{y,x} x[n, c, y, x].
//
// Layout: activations NCHW `T` (f32 or f16, see below) in the arena buffer `act` (a channel's h * w values are
// contiguous); the output is an N x C x 1 x 1 tensor. One invocation per (n, c), WG1 per
// workgroup, sequential sum over the plane (the planes here are at most a few thousand
// values; this layer is a negligible share of the network). No workgroup memory.
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG1: u32 = 256u; // variant: replaced by the engine's pipeline cache

struct Params {
    c: u32,
    hw: u32,
    batch: u32,
    src_off: u32,
    src_bstride: u32,
    dst_off: u32,
    dst_bstride: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<T>;

@compute @workgroup_size(WG1, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= p.c * p.batch {
        return;
    }
    let n = i / p.c;
    let c = i % p.c;
    let base = p.src_off + n * p.src_bstride + c * p.hw;
    var s: T = 0.0;
    for (var j = 0u; j < p.hw; j++) {
        s += act[base + j];
    }
    act[p.dst_off + n * p.dst_bstride + c] = s / T(p.hw);
}
