//! Cells shared by the integration tests.
#![allow(dead_code)]

use leti::space::CellSpec;

pub fn spec(adj: &[&[u8]], ops: &[&str]) -> CellSpec {
    CellSpec::new(adj.iter().map(|r| r.to_vec()).collect(), ops.iter().map(|s| s.to_string()).collect())
}

/// The Inception-like cell from the NAS-Bench-101 README.
pub fn readme_cell() -> CellSpec {
    spec(
        &[
            &[0, 1, 1, 1, 0, 1, 0],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 1, 0, 0],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 0],
        ],
        &["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"],
    )
}

pub const README_HASH: &str = "28cfc7874f6d200472e1a9dcd8650aa0";
pub const README_PARAMS: u64 = 2_694_282;

/// Every relabeling of the interior vertices of `spec` (input and output fixed) that keeps the
/// matrix strictly upper-triangular, i.e. every topological order of the interior vertices.
/// The identity is included.
pub fn upper_triangular_relabelings(s: &CellSpec) -> Vec<CellSpec> {
    let n = s.module_adjacency.len();
    let mut out = Vec::new();
    let mut order: Vec<usize> = vec![0];
    fn rec(s: &CellSpec, n: usize, order: &mut Vec<usize>, out: &mut Vec<CellSpec>) {
        if order.len() == n - 1 {
            order.push(n - 1);
            out.push(relabel(s, order));
            order.pop();
            return;
        }
        for v in 1..n - 1 {
            // v may come next if it is unused and all its predecessors are placed.
            if !order.contains(&v) && (0..n).all(|u| s.module_adjacency[u][v] == 0 || order.contains(&u)) {
                order.push(v);
                rec(s, n, order, out);
                order.pop();
            }
        }
    }
    rec(s, n, &mut order, &mut out);
    out
}

/// The spec with new vertex `i` = old vertex `order[i]`.
pub fn relabel(s: &CellSpec, order: &[usize]) -> CellSpec {
    let n = order.len();
    let adj = (0..n).map(|i| (0..n).map(|j| s.module_adjacency[order[i]][order[j]]).collect()).collect();
    let ops = order.iter().map(|&o| s.module_operations[o].clone()).collect();
    CellSpec::new(adj, ops)
}

/// The GPU adapter of the native GPU tests (`LETI_ADAPTER` picks one by name): `None`, with a
/// message, when there is none; a panic instead when `LETI_REQUIRE_GPU` is set (CI).
#[cfg(not(target_arch = "wasm32"))]
pub fn open_gpu() -> Option<leti::engine::Gpu> {
    open_gpu_with(leti::engine::LimitsTier::WebgpuDefault)
}

/// [`open_gpu`] requesting the limits of `tier`.
#[cfg(not(target_arch = "wasm32"))]
#[allow(dead_code)]
pub fn open_gpu_with(tier: leti::engine::LimitsTier) -> Option<leti::engine::Gpu> {
    match pollster::block_on(leti::engine::Gpu::open_with(std::env::var("LETI_ADAPTER").ok().as_deref(), tier)) {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var_os("LETI_REQUIRE_GPU").is_some() => panic!("LETI_REQUIRE_GPU is set but there is no GPU adapter: {e}"),
        Err(e) => {
            eprintln!("SKIPPED: no GPU adapter available ({e}); install mesa-vulkan-drivers (lavapipe) to run these tests");
            None
        }
    }
}
