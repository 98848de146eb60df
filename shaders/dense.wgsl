// dense.wgsl — fully connected layer with bias, no activation: out[n, o] = b[o] + sum_c
// W[c, o] * x[n, c] (the classifier; logits).
//
// Layout: the input is the N x C x 1 x 1 tensor in the arena buffer `act`; weights are
// [c_in][c_out4] (c_out rounded up to 4, zero padded; scalar reads here) followed by the bias
// at scalar index `bias_off`. One invocation per (n, o), WG1 per workgroup. No workgroup
// memory (10 outputs x 512 inputs: negligible).
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG1: u32 = 256u; // variant: replaced by the engine's pipeline cache

struct Params {
    c_in: u32,
    c_out: u32,
    c_out4: u32,
    batch: u32,
    src_off: u32,
    src_bstride: u32,
    dst_off: u32,
    dst_bstride: u32,
    bias_off: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<T>;
@group(0) @binding(2) var<storage, read> wts: array<T>;

@compute @workgroup_size(WG1, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= p.c_out * p.batch {
        return;
    }
    let n = i / p.c_out;
    let o = i % p.c_out;
    let base = p.src_off + n * p.src_bstride;
    var s = wts[p.bias_off + o];
    for (var c = 0u; c < p.c_in; c++) {
        s += wts[c * p.c_out4 + o] * act[base + c];
    }
    act[p.dst_off + n * p.dst_bstride + o] = s;
}
