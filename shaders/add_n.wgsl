// add_n.wgsl — element-wise sum of 2 to 5 tensors of the same shape into a third.
//
// Layout: activations NCHW `T` (f32 or f16, see below) in the arena buffer `act`; each operand is (offset, batch
// stride) and its c * h * w elements per image are contiguous (a truncated view is a prefix),
// so the sum runs over a flat per-image index. One invocation per output element, WG1 per
// workgroup; the flat index spans x and y of the dispatch grid. No workgroup memory.
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG1: u32 = 256u; // variant: replaced by the engine's pipeline cache

struct Params {
    per_image: u32,
    batch: u32,
    count: u32,
    dst_off: u32,
    dst_bstride: u32,
    off0: u32,
    bs0: u32,
    off1: u32,
    bs1: u32,
    off2: u32,
    bs2: u32,
    off3: u32,
    bs3: u32,
    off4: u32,
    bs4: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<T>;

@compute @workgroup_size(WG1, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG1;
    if i >= p.per_image * p.batch {
        return;
    }
    let n = i / p.per_image;
    let e = i % p.per_image;
    var s = act[p.off0 + n * p.bs0 + e] + act[p.off1 + n * p.bs1 + e];
    if p.count > 2u {
        s += act[p.off2 + n * p.bs2 + e];
    }
    if p.count > 3u {
        s += act[p.off3 + n * p.bs3 + e];
    }
    if p.count > 4u {
        s += act[p.off4 + n * p.bs4 + e];
    }
    act[p.dst_off + n * p.dst_bstride + e] = s;
}
