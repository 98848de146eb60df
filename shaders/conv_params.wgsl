// The uniform parameter block shared by the four convolution kernels (conv2d_tiled,
// conv1x1_gemm_vec4, conv2d_register_tiled, conv2d_register_wide); the engine prepends this file
// to each of them.
// Offsets and batch strides are in elements (`T`) of the activation arena; `n_res` (0 to 2) is
// how many residuals the fused add sums after ReLU (`res_*`, then `res2_*`); `bias_off` indexes
// the folded batch-norm bias in the weight buffer.
// Layout: `ConvParams` in src/engine/params.rs (16 u32, 64 bytes), checked by its test.

struct Params {
    c_in: u32,
    c_out: u32,
    h: u32,
    w: u32,
    src_off: u32,
    src_bstride: u32,
    dst_off: u32,
    dst_bstride: u32,
    res_off: u32,
    res_bstride: u32,
    n_res: u32,
    c_out4: u32,
    bias_off: u32,
    res2_off: u32,
    res2_bstride: u32,
    _pad0: u32,
}
