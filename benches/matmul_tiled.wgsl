// matmul_tiled.wgsl — BENCHMARK BASELINE ONLY: C[M][N] = A[M][K] x B[K][N], row-major f32,
// the textbook shared-memory tiled matrix multiply: 16 x 16 workgroup, one output per
// invocation, 16 x 16 tiles of A and B staged in workgroup memory (2 KiB), scalar loads.

const T: u32 = 16u;

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> As: array<f32, 256>;
var<workgroup> Bs: array<f32, 256>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = wid.y * T + lid.y;
    let col = wid.x * T + lid.x;
    var s = 0.0;
    for (var k0 = 0u; k0 < p.k; k0 += T) {
        var av = 0.0;
        var bv = 0.0;
        if row < p.m && k0 + lid.x < p.k {
            av = a[row * p.k + k0 + lid.x];
        }
        if col < p.n && k0 + lid.y < p.k {
            bv = b[(k0 + lid.y) * p.n + col];
        }
        As[lid.y * T + lid.x] = av;
        Bs[lid.y * T + lid.x] = bv;
        workgroupBarrier();
        for (var k = 0u; k < T; k++) {
            s += As[lid.y * T + k] * Bs[k * T + lid.x];
        }
        workgroupBarrier();
    }
    if row < p.m && col < p.n {
        c[row * p.n + col] = s;
    }
}
