//! The state of one measurement run: its budget, how much of it is used, the time left (from
//! the measured time per MAC and the MACs still ahead), where it is in its sequence, the
//! thermal probe and device-loss counters. Pure data and arithmetic (no browser
//! API), persisted in IndexedDB after every record so a reload resumes exactly here.

use serde::{Deserialize, Serialize};

use crate::measure::RunInfo;

/// Measure the thermal probe again after this many recorded cells.
pub const THERMAL_EVERY: u32 = 8;

/// A thermal probe this much slower than at the start of the run pauses it to cool down.
pub const COOL_DOWN_RATIO: f64 = 1.3;
/// Seconds of one cool-down; the probe is measured again after it.
pub const COOL_DOWN_S: u32 = 60;
/// Cool-downs per run; past them the run goes on hot (its records keep the thermal ratio).
pub const MAX_COOL_DOWNS: u32 = 5;

/// The most a Quick run stretches to so that its anchors finish on a slow adapter (ms).
pub const QUICK_CAP_MS: f64 = 600_000.0;

/// How long the contributor lets the run go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// About 2 minutes of measuring, stretched (up to [`QUICK_CAP_MS`]) to finish the anchors.
    Quick,
    /// About 10 minutes of measuring.
    Standard,
    /// Until the contributor stops it.
    UntilStopped,
}

impl Budget {
    pub const ALL: [Budget; 3] = [Budget::Quick, Budget::Standard, Budget::UntilStopped];

    /// Measuring time the budget allows, in milliseconds; `None` for no limit.
    pub fn limit_ms(self) -> Option<f64> {
        match self {
            Budget::Quick => Some(120_000.0),
            Budget::Standard => Some(600_000.0),
            Budget::UntilStopped => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Budget::Quick => "Quick (~2 min, or until the anchors are done)",
            Budget::Standard => "Standard (~10 min)",
            Budget::UntilStopped => "Until I stop it",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Budget::Quick => "quick",
            Budget::Standard => "standard",
            Budget::UntilStopped => "until_stopped",
        }
    }

    pub fn from_key(key: &str) -> Option<Budget> {
        Budget::ALL.into_iter().find(|b| b.key() == key)
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Measuring (or interrupted while measuring: a reload resumes it).
    Running,
    /// Paused by the contributor; resumes on request.
    Paused,
    /// Stopped by the contributor.
    Stopped,
    /// The budget is used up (or every cell of the space is done).
    Finished,
    /// Ended by an error the run could not recover from.
    Failed,
}

impl RunStatus {
    /// Whether the run can still continue.
    pub fn is_open(self) -> bool {
        matches!(self, RunStatus::Running | RunStatus::Paused)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub run_id: String,
    pub budget: Budget,
    pub status: RunStatus,
    pub started_unix_ms: u64,
    /// Measuring time used so far (pauses and reloads excluded).
    pub active_ms: f64,
    /// Sequence number the next record gets.
    pub next_sequence: u32,
    /// Latency of the thermal probe cell at the start of the run.
    pub thermal_base_ms: Option<f64>,
    /// Latest probe latency divided by the first: above 1 means slower than at the start.
    pub thermal_ratio: Option<f64>,
    /// Records since the probe was last measured.
    pub cells_since_probe: u32,
    pub device_lost_events: u32,
    /// Why the run failed, when it did.
    #[serde(default)]
    pub error: Option<String>,
    /// MACs of the cells recorded so far: with the active time, the run's time per MAC.
    #[serde(default)]
    pub macs_done: f64,
    /// Mean MACs of the cells to come (the anchors left, then a random cell's); 0 if unknown.
    #[serde(default)]
    pub macs_ahead: f64,
    /// MACs of the anchors not measured yet.
    #[serde(default)]
    pub anchor_macs_left: f64,
    /// Cool-downs taken so far (see [`COOL_DOWN_RATIO`]).
    #[serde(default)]
    pub cool_downs: u32,
}

impl RunState {
    pub fn new(run_id: String, budget: Budget, started_unix_ms: u64) -> RunState {
        RunState {
            run_id,
            budget,
            status: RunStatus::Running,
            started_unix_ms,
            active_ms: 0.0,
            next_sequence: 0,
            thermal_base_ms: None,
            thermal_ratio: None,
            cells_since_probe: 0,
            device_lost_events: 0,
            error: None,
            macs_done: 0.0,
            macs_ahead: 0.0,
            cool_downs: 0,
            anchor_macs_left: 0.0,
        }
    }

    /// Fraction of the budget used, in `[0, 1]`; `None` without a limit.
    pub fn progress(&self) -> Option<f64> {
        self.progress_at(self.active_ms)
    }

    /// [`RunState::progress`] once `used_ms` of active time are spent (the page ticks it
    /// between cells).
    pub fn progress_at(&self, used_ms: f64) -> Option<f64> {
        self.limit_ms().map(|l| (used_ms / l).clamp(0.0, 1.0))
    }

    /// Measuring time per MAC so far (ms), once a cell is recorded.
    pub fn ms_per_mac(&self) -> Option<f64> {
        (self.macs_done > 0.0).then(|| self.active_ms / self.macs_done)
    }

    /// Measuring time the anchors left need at the run's time per MAC (ms).
    pub fn anchors_left_ms(&self) -> Option<f64> {
        Some(self.ms_per_mac()? * self.anchor_macs_left)
    }

    /// The run's time limit: the budget's, except that Quick stretches to finish the anchors
    /// (at the time per MAC so far), up to [`QUICK_CAP_MS`]; `None` without a limit.
    pub fn limit_ms(&self) -> Option<f64> {
        let base = self.budget.limit_ms()?;
        if self.budget != Budget::Quick {
            return Some(base);
        }
        let anchors_done_at = self.active_ms + self.anchors_left_ms().unwrap_or(0.0);
        Some(base.max(anchors_done_at.min(QUICK_CAP_MS)))
    }

    /// The total time a Quick run would need to finish its anchors, when that is beyond
    /// [`QUICK_CAP_MS`] (so Quick cannot finish them on this adapter).
    pub fn anchors_beyond_cap_ms(&self) -> Option<f64> {
        let need = self.active_ms + self.anchors_left_ms()?;
        (self.budget == Budget::Quick && self.anchor_macs_left > 0.0 && need > QUICK_CAP_MS).then_some(need)
    }

    /// Measuring time left, in milliseconds; `None` without a limit.
    pub fn remaining_ms(&self) -> Option<f64> {
        self.remaining_ms_at(self.active_ms)
    }

    /// The budget left once `used_ms` of active time are spent.
    pub fn remaining_ms_at(&self, used_ms: f64) -> Option<f64> {
        self.limit_ms().map(|l| (l - used_ms).max(0.0))
    }

    /// Expected measuring time of one of the cells to come: their mean MACs at the run's time
    /// per MAC (cells differ in size: the time per cell so far would mislead).
    pub fn ms_per_cell(&self) -> Option<f64> {
        Some(self.ms_per_mac()? * self.macs_ahead).filter(|&ms| ms > 0.0)
    }

    /// Roughly how many more cells fit in the budget.
    pub fn cells_left_estimate(&self) -> Option<u32> {
        self.cells_left_at(self.active_ms)
    }

    /// Cells that fit in the budget left once `used_ms` are spent, at the expected time per cell.
    pub fn cells_left_at(&self, used_ms: f64) -> Option<u32> {
        Some((self.remaining_ms_at(used_ms)? / self.ms_per_cell()?).ceil() as u32)
    }

    pub fn budget_used_up(&self) -> bool {
        self.remaining_ms().is_some_and(|r| r <= 0.0)
    }

    /// Whether the thermal probe should be measured before the next cell: once at the start
    /// (to get the baseline) and then every [`THERMAL_EVERY`] records.
    pub fn probe_due(&self) -> bool {
        self.thermal_base_ms.is_none() || self.cells_since_probe >= THERMAL_EVERY
    }

    /// Whether the last probe says the GPU has slowed past [`COOL_DOWN_RATIO`] and the run has
    /// cool-downs left.
    pub fn needs_cool_down(&self) -> bool {
        self.thermal_ratio.is_some_and(|r| r > COOL_DOWN_RATIO) && self.cool_downs < MAX_COOL_DOWNS
    }

    /// Counts a cool-down and asks for the probe again before the next cell.
    pub fn start_cool_down(&mut self) {
        self.cool_downs += 1;
        self.cells_since_probe = THERMAL_EVERY;
    }

    /// Takes a probe latency: the first becomes the baseline, later ones update the ratio.
    pub fn record_probe(&mut self, latency_ms: f64) {
        match self.thermal_base_ms {
            None => self.thermal_base_ms = Some(latency_ms),
            Some(base) => self.thermal_ratio = Some(latency_ms / base),
        }
        self.cells_since_probe = 0;
    }

    /// Counts one recorded cell of `macs` MACs taking `elapsed_ms` of measuring time, and
    /// returns the run context to store with it.
    pub fn record_cell(&mut self, elapsed_ms: f64, macs: f64, anchor: bool) -> RunInfo {
        let info = RunInfo {
            run_id: self.run_id.clone(),
            sequence: self.next_sequence,
            anchor,
            thermal_ratio: self.thermal_ratio,
            device_lost_events: self.device_lost_events,
            charging: None,
        };
        self.next_sequence += 1;
        self.cells_since_probe += 1;
        self.active_ms += elapsed_ms;
        self.macs_done += macs;
        info
    }
}
