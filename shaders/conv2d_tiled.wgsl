// conv2d_tiled.wgsl — k x k convolution (odd k; stride 1; "same" zero padding) with the folded
// batch-norm bias, ReLU and an optional add of up to two residuals fused, as an implicit GEMM:
//   out[co, pixel] = relu(sum_r W[r, co] * im2col(x)[r, pixel] + bias[co]) (+ residuals[co, pixel]),
//   r = ci * k * k + tap.
//
// Layout: activations are NCHW `T` (f32 or f16, see below) in one arena buffer (`act`); element (n, c, y, x) of a tensor
// lives at off + n * bstride + c * h * w + y * w + x, so a channel truncation is the same offset
// with fewer channels and a concat input is a contiguous channel range of its concat's region.
// Weights are [r][c_out4] (c_out rounded up to a multiple of 4, zero padded) read as vec4 over
// output channels, followed by the bias [c_out4] at vec4 index `bias_off`.
//
// Tiling: a WG x WG workgroup computes a tile of 4*WG output channels x 4*WG pixels; every
// invocation keeps a 4 x 4 register tile (4 channels x 4 consecutive pixels) in four vec4
// accumulators. The reduction runs in chunks of WG rows staged in workgroup memory: As holds
// WG x WG vec4 of weights, Bs WG x WG vec4 of gathered input (4 pixels per vec4), so the
// workgroup storage is 2 * WG * WG * 16 bytes (8 KiB for WG = 16). Each invocation stages one
// vec4 of each per chunk. WG is chosen by the engine from the adapter's limits (invocations
// per workgroup, workgroup size, workgroup storage); input gathers are scalar because the
// k x k window shifts break vec4 alignment (the 1x1 kernel `conv1x1_gemm_vec4.wgsl` loads vec4).
// Dispatch: (ceil(h*w / (4*WG)), ceil(c_out4 / (4*WG)), batch).
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG: u32 = 16u; // variant: replaced by the engine's pipeline cache
const K: u32 = 3u; // variant: replaced by the engine's pipeline cache
const KK: u32 = K * K;
const PAD: i32 = i32(K / 2u);

// `Params` (the per-dispatch uniform block) is in conv_params.wgsl, prepended by the engine.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<T>;
@group(0) @binding(2) var<storage, read> wts: array<vec4<T>>;

var<workgroup> As: array<vec4<T>, WG * WG>;
var<workgroup> Bs: array<vec4<T>, WG * WG>;

fn store4(co: u32, v: vec4<T>, pix: u32, n: u32, hw: u32) {
    if co >= p.c_out {
        return;
    }
    let d = p.dst_off + n * p.dst_bstride + co * hw + pix;
    let r = p.res_off + n * p.res_bstride + co * hw + pix;
    let r2 = p.res2_off + n * p.res2_bstride + co * hw + pix;
    for (var i = 0u; i < 4u; i++) {
        if pix + i < hw {
            var x = max(v[i], 0.0);
            if p.n_res > 0u {
                x += act[r + i];
            }
            if p.n_res > 1u {
                x += act[r2 + i];
            }
            act[d + i] = x;
        }
    }
}

@compute @workgroup_size(WG, WG, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tx = lid.x;
    let ty = lid.y;
    let tid = ty * WG + tx;
    let hw = p.h * p.w;
    let n = wid.z;
    let px0 = wid.x * 4u * WG;
    let co4_0 = wid.y * WG;
    let rdim = p.c_in * KK;
    let cout4 = p.c_out4 / 4u;
    let wi = i32(p.w);
    let hi = i32(p.h);

    // Staging role of this invocation: chunk row lk, column lq.
    let lk = tid / WG;
    let lq = tid % WG;
    let pix = vec4<u32>(px0 + 4u * lq) + vec4<u32>(0u, 1u, 2u, 3u);
    let py = vec4<i32>(pix / vec4<u32>(p.w));
    let pxx = vec4<i32>(pix % vec4<u32>(p.w));
    let pin = pix < vec4<u32>(hw);
    let src_base = p.src_off + n * p.src_bstride;

    var acc0 = vec4<T>(0.0);
    var acc1 = vec4<T>(0.0);
    var acc2 = vec4<T>(0.0);
    var acc3 = vec4<T>(0.0);

    for (var r0 = 0u; r0 < rdim; r0 += WG) {
        let r = r0 + lk;
        var a = vec4<T>(0.0);
        var b = vec4<T>(0.0);
        if r < rdim {
            if co4_0 + lq < cout4 {
                a = wts[r * cout4 + co4_0 + lq];
            }
            let ci = r / KK;
            let tap = r % KK;
            let y = py + vec4<i32>(i32(tap / K) - PAD);
            let x = pxx + vec4<i32>(i32(tap % K) - PAD);
            let ok = pin & (y >= vec4<i32>(0)) & (y < vec4<i32>(hi)) & (x >= vec4<i32>(0)) & (x < vec4<i32>(wi));
            let idx = vec4<i32>(i32(src_base + ci * hw)) + y * wi + x;
            if ok.x { b.x = act[idx.x]; }
            if ok.y { b.y = act[idx.y]; }
            if ok.z { b.z = act[idx.z]; }
            if ok.w { b.w = act[idx.w]; }
        }
        As[tid] = a;
        Bs[tid] = b;
        workgroupBarrier();
        for (var k = 0u; k < WG; k++) {
            let av = As[k * WG + ty];
            let bv = Bs[k * WG + tx];
            acc0 += av.x * bv;
            acc1 += av.y * bv;
            acc2 += av.z * bv;
            acc3 += av.w * bv;
        }
        workgroupBarrier();
    }

    let c4 = co4_0 + ty;
    if c4 >= cout4 {
        return;
    }
    let bias = wts[p.bias_off + c4];
    let opix = px0 + 4u * tx;
    if opix >= hw {
        return;
    }
    store4(4u * c4 + 0u, acc0 + vec4<T>(bias.x), opix, n, hw);
    store4(4u * c4 + 1u, acc1 + vec4<T>(bias.y), opix, n, hw);
    store4(4u * c4 + 2u, acc2 + vec4<T>(bias.z), opix, n, hw);
    store4(4u * c4 + 3u, acc3 + vec4<T>(bias.w), opix, n, hw);
}
