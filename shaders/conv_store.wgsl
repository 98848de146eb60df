
// conv_store.wgsl — the fused epilogue of the direct convolutions (conv2d_register_tiled,
// conv2d_register_wide), appended by the engine after each: one output element `v` (bias
// already added) of channel `co` at pixel `pix` of image `n` goes through ReLU, gets the
// `p.n_res` residuals (0 to 2) of the fused add added, and is stored; channels past `c_out` (blocks rounded up to
// the kernel's width) store nothing. Uses the kernel's `p` (Params) and `act` (array<T>).

fn store(co: u32, v: T, pix: u32, n: u32, hw: u32) {
    if co >= p.c_out {
        return;
    }
    var x = max(v, 0.0);
    if p.n_res > 0u {
        x += act[p.res_off + n * p.res_bstride + co * hw + pix];
    }
    if p.n_res > 1u {
        x += act[p.res2_off + n * p.res2_bstride + co * hw + pix];
    }
    act[p.dst_off + n * p.dst_bstride + co * hw + pix] = x;
}
