//! The module map as data, and the test that keeps it true: each module of the pipeline may use
//! only the modules before it, and the edges (`app`, `server`, `cli`) only the pipeline (the CLI
//! also runs the collector). Checked on the source text of every file under `src/<module>/`:
//! a `crate::x` path (outside comments) or a `super::super` walk up counts as a use.

/// Each module with the modules it may use.
pub const LAYERS: &[(&str, &[&str])] = &[
    ("space", &[]),
    ("net", &["space"]),
    ("engine", &["space", "net"]),
    ("measure", &["space", "net", "engine"]),
    ("predict", &["space", "net", "engine", "measure"]),
    ("app", &["space", "net", "engine", "measure", "predict"]),
    ("server", &["space", "net", "engine", "measure", "predict"]),
    ("cli", &["space", "net", "engine", "measure", "predict", "server"]),
];

/// The modules `line` names by a `crate::` path, outside a `//` comment.
pub fn crate_uses(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$'))
        .map(|(at, m)| {
            let rest = &code[at + m.len()..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn no_module_uses_one_after_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut bad = Vec::new();
        for (module, allowed) in LAYERS {
            let mut files = Vec::new();
            rust_files(&src.join(module), &mut files);
            assert!(!files.is_empty(), "src/{module} has no files");
            for f in files {
                for (i, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
                    let code = line.split("//").next().unwrap_or("");
                    let up = crate_uses(line).into_iter().filter(|m| m != module && !allowed.contains(m));
                    let walk = code.contains("super::super").then_some("super::super");
                    for m in up.chain(walk) {
                        bad.push(format!("{}:{}: {module} uses {m}", f.strip_prefix(&src).unwrap().display(), i + 1));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "uses against the module order of lib.rs:\n{}", bad.join("\n"));
    }

    #[test]
    fn every_module_of_src_is_placed() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                let name = p.file_name().unwrap().to_str().unwrap().to_string();
                assert!(LAYERS.iter().any(|(m, _)| *m == name), "src/{name} is not in LAYERS");
            }
        }
    }

    #[test]
    fn crate_paths_are_read_from_code_only() {
        assert_eq!(crate_uses("use crate::net::{build, NetConfig}; // crate::app"), vec!["net"]);
        assert_eq!(crate_uses("let x = crate::engine::now_ms() + crate::space::N;"), vec!["engine", "space"]);
        assert_eq!(crate_uses("use $crate::x; use leti_crate::y;"), Vec::<&str>::new());
        assert_eq!(crate_uses("/// see [`crate::predict`]"), Vec::<&str>::new());
    }
}
