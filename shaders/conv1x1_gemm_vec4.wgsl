// conv1x1_gemm_vec4.wgsl — 1x1 convolution (stride 1) with the folded batch-norm bias, ReLU and
// an optional add of up to two residuals fused, as a plain GEMM: out[co, pixel] =
// relu(sum_ci W[ci, co] * x[ci, pixel] + bias[co]) (+ residuals[co, pixel]).
//
// Layout: activations NCHW `T` (f32 or f16, see below) in one arena buffer read as vec4 (`act`), so h * w, every tensor
// offset and every batch stride must be multiples of 4 (the engine picks `conv2d_tiled.wgsl`
// with k = 1 otherwise). A channel row of 4 consecutive pixels is one aligned vec4 load/store.
// Weights are [ci][c_out4] (c_out rounded up to 4, zero padded) read as vec4 over output
// channels, followed by the bias [c_out4] at vec4 index `bias_off`.
//
// Tiling: a WG x WG workgroup computes 4*WG output channels x 4*WG pixels; each invocation
// keeps a 4 x 4 register tile in four vec4 accumulators. The reduction over input channels runs
// in chunks of WG staged in workgroup memory (As: WG x WG vec4 weights, Bs: WG x WG vec4
// inputs, 2 * WG * WG * 16 bytes = 8 KiB for WG = 16); every invocation stages one vec4 of each
// per chunk. WG is chosen by the engine from the adapter's limits.
// Dispatch: (ceil(h*w / (4*WG)), ceil(c_out4 / (4*WG)), batch).
//
// Precision: `T` is f32 or f16 and `LOWEST` its most negative finite value, from the prelude the
// engine prepends per network precision (`enable f16;` for f16); storage and arithmetic are both
// in `T`, as phones run networks at half precision.

const WG: u32 = 16u; // variant: replaced by the engine's pipeline cache

// `Params` (the per-dispatch uniform block) is in conv_params.wgsl, prepended by the engine.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> act: array<vec4<T>>;
@group(0) @binding(2) var<storage, read> wts: array<vec4<T>>;

var<workgroup> As: array<vec4<T>, WG * WG>;
var<workgroup> Bs: array<vec4<T>, WG * WG>;

fn store4(co: u32, v: vec4<T>, pix: u32, n: u32, hw: u32) {
    if co >= p.c_out {
        return;
    }
    var x = max(v, vec4<T>(0.0));
    if p.n_res > 0u {
        x += act[(p.res_off + n * p.res_bstride + co * hw + pix) / 4u];
    }
    if p.n_res > 1u {
        x += act[(p.res2_off + n * p.res2_bstride + co * hw + pix) / 4u];
    }
    act[(p.dst_off + n * p.dst_bstride + co * hw + pix) / 4u] = x;
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
    let cout4 = p.c_out4 / 4u;

    let lk = tid / WG;
    let lq = tid % WG;
    let lpix = px0 + 4u * lq;
    let src_base = (p.src_off + n * p.src_bstride + lpix) / 4u;
    let hw4 = hw / 4u;

    var acc0 = vec4<T>(0.0);
    var acc1 = vec4<T>(0.0);
    var acc2 = vec4<T>(0.0);
    var acc3 = vec4<T>(0.0);

    for (var c0 = 0u; c0 < p.c_in; c0 += WG) {
        let ci = c0 + lk;
        var a = vec4<T>(0.0);
        var b = vec4<T>(0.0);
        if ci < p.c_in {
            if co4_0 + lq < cout4 {
                a = wts[ci * cout4 + co4_0 + lq];
            }
            if lpix < hw {
                b = act[src_base + ci * hw4];
            }
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
    let opix = px0 + 4u * tx;
    if c4 >= cout4 || opix >= hw {
        return;
    }
    let bias = wts[p.bias_off + c4];
    store4(4u * c4 + 0u, acc0 + vec4<T>(bias.x), opix, n, hw);
    store4(4u * c4 + 1u, acc1 + vec4<T>(bias.y), opix, n, hw);
    store4(4u * c4 + 2u, acc2 + vec4<T>(bias.z), opix, n, hw);
    store4(4u * c4 + 3u, acc3 + vec4<T>(bias.w), opix, n, hw);
}
