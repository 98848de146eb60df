//! HTTPS for phones: browsers expose WebGPU only in a secure context. Creates a self-signed
//! certificate (rcgen) naming `localhost` and this machine's addresses, stores it and reuses it
//! across restarts (so a phone accepts it once), and renders the phone URL as a terminal QR code.

use std::collections::BTreeSet;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Installs ring as rustls' process-wide crypto provider (once; later calls do nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// This machine's non-loopback IPv4 addresses (where phones on the LAN can reach it).
pub fn lan_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| ip.is_ipv4() && !ip.is_loopback() && !ip.is_unspecified())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The names a certificate for these addresses covers.
fn subject_names(ips: &[IpAddr]) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = ["localhost".to_string(), "127.0.0.1".to_string()].into();
    names.extend(ips.iter().map(|ip| ip.to_string()));
    names
}

/// Returns `(cert.pem, key.pem)` in `dir`: the stored certificate when it covers `localhost`,
/// 127.0.0.1 and every address in `ips`, else a new self-signed one (stored for next time).
pub fn self_signed(dir: &Path, ips: &[IpAddr]) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (cert_path, key_path, names_path) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("names.txt"));
    let wanted = subject_names(ips);
    if cert_path.is_file() && key_path.is_file() {
        let stored: BTreeSet<String> = fs::read_to_string(&names_path).unwrap_or_default().lines().map(str::to_string).collect();
        if wanted.is_subset(&stored) {
            return Ok((cert_path, key_path));
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let cert = rcgen::generate_simple_self_signed(wanted.iter().cloned().collect::<Vec<_>>()).context("generating a self-signed certificate")?;
    write_private(&key_path, cert.key_pair.serialize_pem().as_bytes())?;
    fs::write(&cert_path, cert.cert.pem()).with_context(|| format!("writing {}", cert_path.display()))?;
    fs::write(&names_path, wanted.iter().map(|n| format!("{n}\n")).collect::<String>()).with_context(|| format!("writing {}", names_path.display()))?;
    Ok((cert_path, key_path))
}

fn write_private(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).with_context(|| format!("writing {}", path.display()))?;
    f.write_all(data).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A QR code of `text` drawn with Unicode half blocks, for a terminal.
pub fn qr_code(text: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).context("encoding the QR code")?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_is_reused_until_an_address_is_missing() {
        let dir = std::env::temp_dir().join(format!("leti-tls-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let a: IpAddr = "192.168.1.20".parse().unwrap();
        let (cert, _) = self_signed(&dir, &[a]).unwrap();
        let first = fs::read(&cert).unwrap();
        self_signed(&dir, &[a]).unwrap();
        assert_eq!(fs::read(&cert).unwrap(), first, "same addresses: the stored certificate is reused");
        let b: IpAddr = "10.0.0.7".parse().unwrap();
        self_signed(&dir, &[a, b]).unwrap();
        assert_ne!(fs::read(&cert).unwrap(), first, "a new address needs a new certificate");
        let names = fs::read_to_string(dir.join("names.txt")).unwrap();
        assert!(names.contains("10.0.0.7") && names.contains("192.168.1.20") && names.contains("localhost"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn qr_code_renders_in_blocks() {
        let q = qr_code("https://192.168.1.20:8443/").unwrap();
        assert!(q.lines().count() > 10);
        assert!(q.contains('█') || q.contains('▀') || q.contains('▄'));
    }
}
