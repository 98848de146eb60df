//! Whole-space enumeration: `leti::space::enumerate()` against the original NAS-Bench-101
//! generator's algorithm (hash every one of the 1,293,208 labeled graphs with the module
//! hash, keep the first graph seen per hash), written in Rust and measured in the same run.
//! Both must give the same 423,624 cells in the same first-seen order.
//!
//! Run: `cargo bench --bench enumerate` (options: `-- --runs N --baseline-runs M`).

use std::time::{Duration, Instant};

use leti::space::{enumerate, CellSpec, ModuleHash, Op, Space, MAX_EDGES, MAX_VERTICES};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

/// A labeled graph as the generator sees it: vertex count, upper-triangle bitmask (edge
/// x -> y is bit x + y(y-1)/2), interior labels (canonical op indices).
struct Graph {
    n: usize,
    bits: u32,
}

impl Graph {
    fn matrix(&self) -> Vec<Vec<u8>> {
        let mut m = vec![vec![0u8; self.n]; self.n];
        for y in 1..self.n {
            for x in 0..y {
                m[x][y] = (self.bits >> (x + y * (y - 1) / 2) & 1) as u8;
            }
        }
        m
    }

    /// The generator's filter: no all-zero row but the last, no all-zero column but the
    /// first, at most 9 edges.
    fn is_kept(&self) -> bool {
        let m = self.matrix();
        let n = self.n;
        self.bits.count_ones() as usize <= MAX_EDGES && (0..n - 1).all(|r| m[r].contains(&1)) && (1..n).all(|c| (0..n).any(|r| m[r][c] == 1))
    }

    /// Every labeling in `itertools.product` order, hashed.
    fn hashes(&self) -> Vec<ModuleHash> {
        let matrix = self.matrix();
        let interior = self.n - 2;
        (0..3u32.pow(interior as u32))
            .map(|mut l| {
                let mut ops = vec![Op::Output.label().to_string(); self.n];
                ops[0] = Op::Input.label().to_string();
                for v in (1..=interior).rev() {
                    ops[v] = Op::INTERIOR[(l % 3) as usize].label().to_string();
                    l /= 3;
                }
                let spec = CellSpec::new(matrix.clone(), ops);
                spec.validate().expect("generator graphs are valid").hash()
            })
            .collect()
    }
}

/// The original algorithm: hash every labeled graph, keep the first per hash. The hashing is
/// spread over the same cores `enumerate()` uses so the ratio measures the algorithm.
fn baseline() -> (usize, Vec<(ModuleHash, CellSpec)>) {
    let graphs: Vec<Graph> =
        (2..=MAX_VERTICES).flat_map(|n| (0..1u32 << (n * (n - 1) / 2)).map(move |bits| Graph { n, bits })).filter(Graph::is_kept).collect();
    let hashes: Vec<Vec<ModuleHash>> = graphs.par_iter().with_min_len(16).map(Graph::hashes).collect();
    let mut seen = FxHashSet::default();
    let mut firsts = Vec::new();
    let mut labeled = 0;
    for (g, hs) in graphs.iter().zip(&hashes) {
        for (l, h) in hs.iter().enumerate() {
            labeled += 1;
            if seen.insert(*h) {
                firsts.push((*h, (g, l)));
            }
        }
    }
    let firsts = firsts
        .into_iter()
        .map(|(h, (g, l))| {
            let mut ops = vec!["output".to_string(); g.n];
            ops[0] = "input".into();
            let mut l = l as u32;
            for v in (1..g.n - 1).rev() {
                ops[v] = Op::INTERIOR[(l % 3) as usize].label().into();
                l /= 3;
            }
            (h, CellSpec::new(g.matrix(), ops))
        })
        .collect();
    (labeled, firsts)
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let runs = arg("--runs", 5).max(1);
    let baseline_runs = arg("--baseline-runs", 1).max(1);
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("machine: {} x {}, date: {date}", threads, cpu_model());

    let mut times = Vec::new();
    let mut space = Space::default();
    for _ in 0..runs {
        let t = Instant::now();
        space = std::hint::black_box(enumerate());
        times.push(t.elapsed());
    }
    let best = *times.iter().min().unwrap();
    let ours = median(times.clone());
    println!("enumerate():            {} cells, median {:.3} s, best {:.3} s over {runs} runs", space.len(), ours.as_secs_f64(), best.as_secs_f64());

    let mut btimes = Vec::new();
    let mut base = (0, Vec::new());
    for _ in 0..baseline_runs {
        let t = Instant::now();
        base = std::hint::black_box(baseline());
        btimes.push(t.elapsed());
    }
    let theirs = median(btimes);
    println!(
        "generator algorithm:    {} labeled graphs hashed, {} unique, median {:.3} s over {baseline_runs} runs",
        base.0,
        base.1.len(),
        theirs.as_secs_f64()
    );

    // Same cells: same count, same hash and same first-seen representative, in the same order.
    assert_eq!(base.0, 1_293_208, "the generator sees 1,293,208 labeled graphs");
    assert_eq!(space.len(), base.1.len(), "different number of unique cells");
    for (i, (e, (h, spec))) in space.entries.iter().zip(&base.1).enumerate() {
        assert_eq!(e.hash, *h, "cell {i}: different hash");
        assert_eq!(e.cell.to_spec(), *spec, "cell {i}: different representative");
    }
    println!("check: both give the same {} hashes with the same first-seen cells", space.len());
    println!("speed-up (median/median): {:.1}x", theirs.as_secs_f64() / ours.as_secs_f64());
}
