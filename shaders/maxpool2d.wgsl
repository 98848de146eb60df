// maxpool2d.wgsl — k x k max-pool with stride s and TensorFlow-style "same" padding
// (output = ceil(in / s); padding total max((out - 1) * s + k - in, 0), the smaller half before;
// padded positions are ignored, never taken as zeros).
//
// Layout: activations NCHW `T` (f32 or f16, see below) in the arena buffer `act`; element (n, c, y, x) of a tensor at
// off + n * bstride + c * h * w + y * w + x (so it reads truncated views and writes straight
// into a concat's channel range). One invocation per output element, WG1 invocations per
// workgroup along x; the flat index spans x and y of the dispatch grid so that large tensors
// stay under the per-dimension workgroup-count limit. No workgroup memory.
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG1: u32 = 256u; // variant: replaced by the engine's pipeline cache

struct Params {
    c: u32,
    h: u32,
    w: u32,
    oh: u32,
    ow: u32,
    k: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    src_off: u32,
    src_bstride: u32,
    dst_off: u32,
    dst_bstride: u32,
    batch: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<T>;

@compute @workgroup_size(WG1, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG1;
    let per_image = p.c * p.oh * p.ow;
    if i >= per_image * p.batch {
        return;
    }
    let n = i / per_image;
    let rem = i % per_image;
    let c = rem / (p.oh * p.ow);
    let o = rem % (p.oh * p.ow);
    let oy = o / p.ow;
    let ox = o % p.ow;
    let base = p.src_off + n * p.src_bstride + c * p.h * p.w;
    let y0 = i32(oy * p.stride) - i32(p.pad_top);
    let x0 = i32(ox * p.stride) - i32(p.pad_left);
    var m = LOWEST;
    for (var dy = 0u; dy < p.k; dy++) {
        let y = y0 + i32(dy);
        if y < 0 || y >= i32(p.h) {
            continue;
        }
        for (var dx = 0u; dx < p.k; dx++) {
            let x = x0 + i32(dx);
            if x < 0 || x >= i32(p.w) {
                continue;
            }
            m = max(m, act[base + u32(y) * p.w + u32(x)]);
        }
    }
    act[p.dst_off + n * p.dst_bstride + rem] = m;
}
