//! NAS-Bench-101 accuracies in the page, shared by Explore and Draw through a context: from an
//! accuracy file the user opened (`leti nasbench import` writes it; kept in IndexedDB, so a
//! reload keeps it), else from the collector when it serves one (`leti serve --nasbench`).
//! Nothing is fetched until a page that shows accuracies asks ([`NasbenchData::ensure`]): the
//! file is large (about 11 MB for the whole space), and the Measure page never needs it.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::store::Store;
use crate::space::{Accuracies, MeanResult};

/// Where the collector serves its accuracy file.
pub const NASBENCH_URL: &str = "/api/v1/nasbench";
/// The IndexedDB name of a file the user opened.
const FILE_KEY: &str = "nasbench";
/// The budget the pages show: the longest training, which the small dataset file also has.
pub const SHOWN_EPOCHS: u16 = 108;

/// A loaded accuracy file, with the column the pages plot.
pub struct Loaded {
    pub acc: Accuracies,
    /// Where it came from, in words.
    pub source: String,
    /// The position of [`SHOWN_EPOCHS`] among the file's budgets.
    pub budget: usize,
    /// Mean test accuracy of every cell at that budget (NaN where the file lacks the cell);
    /// shared with Explore's plot, not copied.
    pub test: Arc<[f32]>,
    /// How long reading the file and averaging its runs took (ms), for the tests' figures.
    pub parse_ms: f64,
}

impl Loaded {
    pub fn new(acc: Accuracies, source: String) -> Result<Loaded, String> {
        let budget = acc.budget_index(SHOWN_EPOCHS).ok_or_else(|| format!("the file has no results at {SHOWN_EPOCHS} epochs (budgets {:?})", acc.budgets))?;
        let test = acc.mean_test_column(budget).into();
        Ok(Loaded { acc, source, budget, test, parse_ms: 0.0 })
    }

    /// Cell `i`'s mean result at the shown budget.
    pub fn mean(&self, i: usize) -> Option<MeanResult> {
        self.acc.mean(i, self.budget)
    }
}

/// Where the accuracies stand.
#[derive(Clone)]
pub enum NasbenchState {
    /// Nothing asked for them yet.
    Idle,
    Loading,
    /// Neither opened here nor served by the collector.
    Absent,
    Ready(Arc<Loaded>),
    Failed(String),
}

/// The page-wide accuracies: their state, and the last error of opening a file (which leaves
/// what was loaded before as it was).
#[derive(Clone, Copy)]
pub struct NasbenchData {
    pub state: RwSignal<NasbenchState>,
    pub open_error: RwSignal<Option<String>>,
}

/// Provides the context (at the app's root).
pub fn provide_nasbench() {
    provide_context(NasbenchData { state: RwSignal::new(NasbenchState::Idle), open_error: RwSignal::new(None) });
}

fn parse(bytes: &[u8], source: String) -> Result<Loaded, String> {
    let t0 = crate::engine::now_ms();
    let acc = Accuracies::from_bytes(bytes).map_err(|e| format!("{source}: {e}"))?;
    let loaded = Loaded::new(acc, source.clone()).map_err(|e| format!("{source}: {e}"))?;
    Ok(Loaded { parse_ms: crate::engine::now_ms() - t0, ..loaded })
}

/// The opened file from IndexedDB, else the collector's; `None` when neither has one.
async fn load() -> Result<Option<Loaded>, String> {
    let store = Store::open(super::store::DB_NAME).await.map_err(|e| format!("the browser's storage: {e}"))?;
    let kept = store.file(FILE_KEY).await.map_err(|e| format!("the browser's storage: {e}"));
    store.close();
    if let Some(bytes) = kept? {
        return parse(&bytes, "the accuracy file opened in this browser".into()).map(Some);
    }
    let resp = gloo_net::http::Request::get(NASBENCH_URL).send().await.map_err(|e| format!("could not fetch {NASBENCH_URL}: {e}"))?;
    match resp.status() {
        // 204: the collector serves none (404: an older collector without the endpoint).
        204 | 404 => Ok(None),
        s if !resp.ok() => Err(format!("could not fetch {NASBENCH_URL}: HTTP {s}")),
        _ => {
            let bytes = resp.binary().await.map_err(|e| format!("could not read {NASBENCH_URL}: {e}"))?;
            parse(&bytes, "the collector's accuracy file".into()).map(Some)
        }
    }
}

impl NasbenchData {
    /// Starts loading once (later calls do nothing).
    pub fn ensure(self) {
        if !matches!(self.state.get_untracked(), NasbenchState::Idle) {
            return;
        }
        self.state.set(NasbenchState::Loading);
        spawn_local(async move {
            let s = match load().await {
                Ok(Some(l)) => NasbenchState::Ready(Arc::new(l)),
                Ok(None) => NasbenchState::Absent,
                Err(e) => NasbenchState::Failed(e),
            };
            let _ = self.state.try_set(s);
        });
    }

    /// Takes a file the user opened: checked, kept in IndexedDB, then shown; a bad file is
    /// reported and changes nothing.
    pub fn open(self, name: String, bytes: Vec<u8>) {
        spawn_local(async move {
            let loaded = match parse(&bytes, name.clone()) {
                Ok(l) => l,
                Err(e) => {
                    let _ = self.open_error.try_set(Some(e));
                    return;
                }
            };
            let kept = async {
                let store = Store::open(super::store::DB_NAME).await?;
                let r = store.put_file(FILE_KEY, &bytes).await;
                store.close();
                r
            };
            let note = kept.await.err().map(|e| format!("{name} is shown but could not be kept for the next visit: {e}"));
            let _ = self.open_error.try_set(note);
            let _ = self.state.try_set(NasbenchState::Ready(Arc::new(Loaded { source: format!("{name} (opened in this browser)"), ..loaded })));
        });
    }

    /// The loaded accuracies, if any.
    pub fn ready(self) -> Option<Arc<Loaded>> {
        match self.state.get() {
            NasbenchState::Ready(l) => Some(l),
            _ => None,
        }
    }
}
