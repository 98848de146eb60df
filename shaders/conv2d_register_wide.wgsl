// conv2d_register_wide.wgsl — k x k convolution (odd k; stride 1; "same" zero padding) with
// the folded batch-norm bias, ReLU and an optional residual add fused, as a direct convolution
// tiled in registers only, like conv2d_register_tiled.wgsl but wider along pixels: every
// invocation computes 4 consecutive pixels of one row for 8 output channels.
//
// Layout: activations NCHW `T` in one arena buffer (`act`); element (n, c, y, x) of a tensor at
// off + n * bstride + c * h * w + y * w + x. Weights [r = ci * k * k + tap][c_out4] (c_out
// rounded up to 4, zero padded) read as vec4 over output channels, bias [c_out4] at vec4 index
// `bias_off`. Needs w % 4 == 0 (the engine launches conv2d_register_tiled otherwise).
//
// Tiling: workgroup of WG1 invocations along pixel quads; workgroup_id.y selects a block of 8
// output channels, so every weight load is uniform across the workgroup. Per reduction step
// (one input channel, one tap) an invocation loads 4 input values and 2 weight vec4 and does
// 8 vec4 multiply-adds (32 MACs) in eight vec4 accumulators: 0.75 loads per vec4 multiply-add
// where conv2d_register_tiled does 1.25. No workgroup memory and no barriers.
// Dispatch: (ceil(h*w / 4 / WG1), ceil(c_out / 8), batch).
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG1: u32 = 64u; // variant: replaced by the engine's pipeline cache
const K: u32 = 3u; // variant: replaced by the engine's pipeline cache
const KK: u32 = K * K;
const PAD: i32 = i32(K / 2u);

// `Params` (the per-dispatch uniform block) is in conv_params.wgsl, prepended by the engine.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<T>;
@group(0) @binding(2) var<storage, read> wts: array<vec4<T>>;

// `store` (ReLU, residual add, write of one output element) is in conv_store.wgsl, appended by
// the engine.

// The input value at (row yy, column xx) of channel plane `plane`, zero outside the image.
fn at(plane: u32, yy: i32, xx: i32) -> T {
    let inside = yy >= 0 && yy < i32(p.h) && xx >= 0 && xx < i32(p.w);
    let v = act[plane + select(0u, u32(yy) * p.w + u32(xx), inside)];
    return select(T(0.0), v, inside);
}

@compute @workgroup_size(WG1, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let hw = p.h * p.w;
    let quads = hw / 4u;
    let q = min(gid.x, quads - 1u); // tail invocations compute a duplicate, store nothing
    let n = wid.z;
    let cb = wid.y * 2u; // first vec4 of this block's 8 output channels
    let cout4 = p.c_out4 / 4u;
    let c1 = min(cb + 1u, cout4 - 1u); // past c_out4: the last valid column, discarded at the store
    let pix = q * 4u;
    let y = i32(pix / p.w);
    let x = i32(pix % p.w);
    let src = p.src_off + n * p.src_bstride;

    var a0 = vec4<T>(0.0);
    var a1 = vec4<T>(0.0);
    var a2 = vec4<T>(0.0);
    var a3 = vec4<T>(0.0);
    var b0 = vec4<T>(0.0);
    var b1 = vec4<T>(0.0);
    var b2 = vec4<T>(0.0);
    var b3 = vec4<T>(0.0);
    for (var tap = 0u; tap < KK; tap++) {
        let yy = y + i32(tap / K) - PAD;
        let xx = x + i32(tap % K) - PAD;
        for (var ci = 0u; ci < p.c_in; ci++) {
            let plane = src + ci * hw;
            let v0 = at(plane, yy, xx);
            let v1 = at(plane, yy, xx + 1);
            let v2 = at(plane, yy, xx + 2);
            let v3 = at(plane, yy, xx + 3);
            let row = (ci * KK + tap) * cout4;
            let w0 = wts[row + cb];
            let w1 = wts[row + c1];
            a0 += v0 * w0;
            a1 += v1 * w0;
            a2 += v2 * w0;
            a3 += v3 * w0;
            b0 += v0 * w1;
            b1 += v1 * w1;
            b2 += v2 * w1;
            b3 += v3 * w1;
        }
    }
    if gid.x >= quads {
        return;
    }
    let bias0 = wts[p.bias_off + cb];
    let bias1 = wts[p.bias_off + c1];
    let co = 4u * cb;
    for (var i = 0u; i < 4u; i++) {
        store(co + i, a0[i] + bias0[i], pix, n, hw);
        store(co + i, a1[i] + bias0[i], pix + 1u, n, hw);
        store(co + i, a2[i] + bias0[i], pix + 2u, n, hw);
        store(co + i, a3[i] + bias0[i], pix + 3u, n, hw);
        store(co + 4u + i, b0[i] + bias1[i], pix, n, hw);
        store(co + 4u + i, b1[i] + bias1[i], pix + 1u, n, hw);
        store(co + 4u + i, b2[i] + bias1[i], pix + 2u, n, hw);
        store(co + 4u + i, b3[i] + bias1[i], pix + 3u, n, hw);
    }
}
