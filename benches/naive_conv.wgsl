// naive_conv.wgsl — BENCHMARK BASELINE ONLY: k x k convolution (stride 1, same zero padding,
// bias + ReLU) with one invocation per output element and a plain loop over c_in x k x k.
// Layout: NCHW input/output (one image), weights [c_out][c_in][k][k]. No tiling, no
// workgroup memory, scalar loads: what a straightforward port looks like.

struct Params {
    c_in: u32,
    c_out: u32,
    h: u32,
    w: u32,
    k: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wts: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let hw = p.h * p.w;
    let i = gid.x;
    if i >= p.c_out * hw {
        return;
    }
    let co = i / hw;
    let oy = i32((i % hw) / p.w);
    let ox = i32(i % p.w);
    let pad = i32(p.k / 2u);
    var s = bias[co];
    for (var ci = 0u; ci < p.c_in; ci++) {
        for (var ky = 0u; ky < p.k; ky++) {
            let yy = oy + i32(ky) - pad;
            if yy < 0 || yy >= i32(p.h) {
                continue;
            }
            for (var kx = 0u; kx < p.k; kx++) {
                let xx = ox + i32(kx) - pad;
                if xx < 0 || xx >= i32(p.w) {
                    continue;
                }
                s += wts[((co * p.c_in + ci) * p.k + ky) * p.k + kx] * x[ci * hw + u32(yy) * p.w + u32(xx)];
            }
        }
    }
    y[i] = max(s, 0.0);
}
