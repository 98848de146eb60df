//! `leti adapters`: what wgpu sees — name, backend, device type, driver, timestamp and f16 support,
//! the limits the kernels are sized against, and the tile sizes chosen from them.

use std::process::ExitCode;

use crate::engine::{list_adapters, Tiling};

#[derive(clap::Args, Debug)]
pub struct AdaptersArgs {}

pub fn run(_args: AdaptersArgs) -> anyhow::Result<ExitCode> {
    let adapters = pollster::block_on(list_adapters());
    if adapters.is_empty() {
        println!("no GPU adapters found (on Linux without a GPU, install mesa-vulkan-drivers for lavapipe)");
        return Ok(ExitCode::FAILURE);
    }
    for (i, a) in adapters.iter().enumerate() {
        let l = &a.limits;
        println!("[{i}] {}", a.info.name);
        println!("    backend {}, type {:?}, driver {} {}", a.info.backend, a.info.device_type, a.info.driver, a.info.driver_info);
        let yes = |b: bool| if b { "yes" } else { "no" };
        println!("    timestamps: {} (inside passes: {}); shader-f16: {}", yes(a.timestamps), yes(a.timestamps_inside_passes), yes(a.shader_f16));
        println!(
            "    limits: max buffer {} MiB, max storage binding {} MiB, workgroup storage {} B, invocations/workgroup {}, workgroup size {}x{}x{}, workgroups/dim {}",
            l.max_buffer_size >> 20,
            l.max_storage_buffer_binding_size >> 20,
            l.max_compute_workgroup_storage_size,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroup_size_x,
            l.max_compute_workgroup_size_y,
            l.max_compute_workgroup_size_z,
            l.max_compute_workgroups_per_dimension
        );
        let t = Tiling::for_limits(l);
        println!("    conv tile: {0}x{0} outputs per {1}x{1} workgroup; 1-D kernels {2} invocations", t.conv_tile(), t.conv_wg, t.wg1);
    }
    Ok(ExitCode::SUCCESS)
}
