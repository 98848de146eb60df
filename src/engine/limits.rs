//! Which device limits the engine requests: a [`LimitsTier`] (by default the WebGPU defaults
//! every conformant browser guarantees, a phone's included; smaller tiers a phone may give;
//! or everything the adapter offers), checked against what the adapter offers, and the
//! [`LimitsInfo`] a measurement record keeps of them.

use serde::{Deserialize, Serialize};

/// The adapter falls short of a tier.
#[derive(Debug, thiserror::Error)]
#[error("the adapter does not offer the {tier} limits: {limit} is {offered}, they need {needed}")]
pub struct LimitsError {
    pub tier: &'static str,
    pub limit: &'static str,
    pub offered: u64,
    pub needed: u64,
}

/// Which limits the engine asks the device for. The kernels size their tiles to what is
/// requested ([`super::Tiling::for_limits`]), so a tier is also a kernel configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitsTier {
    /// The WebGPU default limits (`wgpu::Limits::default()`): what every browser guarantees.
    #[default]
    WebgpuDefault,
    /// wgpu's downlevel defaults: 4 storage buffers per stage, 16 KiB uniform bindings,
    /// 16,352 bytes of workgroup memory.
    Downlevel,
    /// The compute limits of WebGPU compatibility mode (phones with OpenGL ES only): the
    /// downlevel defaults with 128 invocations per workgroup and workgroups at most 128 wide.
    Compatibility,
    /// Everything the adapter offers (for measuring whether more than the defaults helps).
    Adapter,
}

impl LimitsTier {
    pub const ALL: [LimitsTier; 4] = [LimitsTier::WebgpuDefault, LimitsTier::Downlevel, LimitsTier::Compatibility, LimitsTier::Adapter];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitsTier::WebgpuDefault => "webgpu_default",
            LimitsTier::Downlevel => "downlevel",
            LimitsTier::Compatibility => "compatibility",
            LimitsTier::Adapter => "adapter",
        }
    }

    /// The limits of this tier on an adapter that offers `offered`; an error naming the first
    /// limit the adapter falls short of.
    pub fn limits(self, offered: &wgpu::Limits) -> Result<wgpu::Limits, LimitsError> {
        let wanted = match self {
            LimitsTier::WebgpuDefault => wgpu::Limits::default(),
            LimitsTier::Downlevel => wgpu::Limits::downlevel_defaults(),
            LimitsTier::Compatibility => wgpu::Limits {
                max_compute_invocations_per_workgroup: 128,
                max_compute_workgroup_size_x: 128,
                max_compute_workgroup_size_y: 128,
                ..wgpu::Limits::downlevel_defaults()
            },
            LimitsTier::Adapter => return Ok(offered.clone()),
        };
        let mut short = None;
        wanted.check_limits_with_fail_fn(offered, true, |limit, needed, offered| short = Some((limit, needed, offered)));
        match short {
            None => Ok(wanted),
            Some((limit, needed, offered)) => Err(LimitsError { tier: self.as_str(), limit, offered, needed }),
        }
    }
}

/// The limits a measurement ran under, as its record keeps them: the tier and the values the
/// engine's kernels and buffers depend on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsInfo {
    pub tier: LimitsTier,
    pub max_storage_buffer_binding_size: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_storage_size: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_ask_for_at_most_what_the_adapter_offers() {
        let desktop = wgpu::Limits { max_compute_invocations_per_workgroup: 1024, max_storage_buffer_binding_size: 1 << 31, ..wgpu::Limits::default() };
        assert_eq!(LimitsTier::WebgpuDefault.limits(&desktop).unwrap(), wgpu::Limits::default());
        assert_eq!(LimitsTier::Adapter.limits(&desktop).unwrap(), desktop);
        let compat = LimitsTier::Compatibility.limits(&desktop).unwrap();
        assert_eq!((compat.max_compute_invocations_per_workgroup, compat.max_storage_buffers_per_shader_stage), (128, 4));
        // Compatibility-mode tiles: 8x8 conv workgroups, 128-wide 1-D kernels.
        let t = crate::engine::Tiling::for_limits(&compat);
        assert_eq!((t.conv_wg, t.wg1), (8, 128));
    }

    #[test]
    fn an_adapter_below_the_defaults_is_refused_naming_the_limit() {
        let small = wgpu::Limits { max_compute_invocations_per_workgroup: 128, ..wgpu::Limits::default() };
        let e = LimitsTier::WebgpuDefault.limits(&small).unwrap_err().to_string();
        assert!(e.contains("webgpu_default") && e.contains("max_compute_invocations_per_workgroup is 128, they need 256"), "{e}");
        assert!(LimitsTier::Compatibility.limits(&small).is_ok());
    }

    #[test]
    fn tier_names_round_trip_through_records() {
        for t in LimitsTier::ALL {
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.as_str()));
        }
    }
}
