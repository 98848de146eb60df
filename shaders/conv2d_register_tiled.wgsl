// conv2d_register_tiled.wgsl — k x k convolution (odd k; stride 1; "same" zero padding) with
// the folded batch-norm bias, ReLU and an optional residual add fused, as a direct convolution
// tiled in registers only: every invocation computes one pixel for 16 output channels.
//
// Layout: activations NCHW `T` (f32 or f16, see below) in one arena buffer (`act`); element (n, c, y, x) of a tensor at
// off + n * bstride + c * h * w + y * w + x. Weights [r = ci * k * k + tap][c_out4] (c_out
// rounded up to 4, zero padded) read as vec4 over output channels, bias [c_out4] at vec4 index
// `bias_off`.
//
// Tiling: workgroup of WG1 invocations along pixels; workgroup_id.y selects a block of 16
// output channels, so every weight load is uniform across the workgroup (one load broadcast to
// all invocations: the shape SIMD-on-CPU drivers such as lavapipe and SwiftShader and wide
// GPU caches like best) and each input value loaded is reused for 16 multiply-adds held in
// four vec4 accumulators. No workgroup memory and no barriers. The engine times this family
// against `conv2d_tiled.wgsl` / `conv1x1_gemm_vec4.wgsl` when it opens a device and keeps the
// faster (this one wins on SwiftShader, where barriers are costly; the tiled ones on lavapipe).
// Dispatch: (ceil(h*w / WG1), ceil(c_out / 16), batch).
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

@compute @workgroup_size(WG1, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let hw = p.h * p.w;
    let pix = min(gid.x, hw - 1u); // tail invocations compute a duplicate, store nothing
    let n = wid.z;
    let cb4 = wid.y * 4u; // first vec4 of this block's 16 output channels
    let cout4 = p.c_out4 / 4u;
    let y = i32(pix / p.w);
    let x = i32(pix % p.w);
    let src = p.src_off + n * p.src_bstride;

    var acc0 = vec4<T>(0.0);
    var acc1 = vec4<T>(0.0);
    var acc2 = vec4<T>(0.0);
    var acc3 = vec4<T>(0.0);
    // Blocks past c_out4 read the last valid vec4 columns (results discarded at the store).
    let c1 = min(cb4 + 1u, cout4 - 1u);
    let c2 = min(cb4 + 2u, cout4 - 1u);
    let c3 = min(cb4 + 3u, cout4 - 1u);
    for (var tap = 0u; tap < KK; tap++) {
        let yy = y + i32(tap / K) - PAD;
        let xx = x + i32(tap % K) - PAD;
        let inside = yy >= 0 && yy < i32(p.h) && xx >= 0 && xx < i32(p.w);
        let off = src + select(0u, u32(yy) * p.w + u32(xx), inside);
        let keep = select(T(0.0), T(1.0), inside);
        for (var ci = 0u; ci < p.c_in; ci++) {
            let v = act[off + ci * hw] * keep;
            let row = (ci * KK + tap) * cout4;
            acc0 += v * wts[row + cb4];
            acc1 += v * wts[row + c1];
            acc2 += v * wts[row + c2];
            acc3 += v * wts[row + c3];
        }
    }
    if gid.x >= hw {
        return;
    }
    let b0 = wts[p.bias_off + cb4];
    let b1 = wts[p.bias_off + c1];
    let b2 = wts[p.bias_off + c2];
    let b3 = wts[p.bias_off + c3];
    let r0 = acc0 + b0;
    let r1 = acc1 + b1;
    let r2 = acc2 + b2;
    let r3 = acc3 + b3;
    let co = 4u * cb4;
    for (var i = 0u; i < 4u; i++) {
        store(co + i, r0[i], pix, n, hw);
        store(co + 4u + i, r1[i], pix, n, hw);
        store(co + 8u + i, r2[i], pix, n, hw);
        store(co + 12u + i, r3[i], pix, n, hw);
    }
}
