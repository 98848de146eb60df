//! The measurement loop: picks the next cell from the [`Plan`], measures it through a
//! [`CellMeasurer`] at each precision the measurer names (its own first), stores the record in IndexedDB the moment it exists (together with the
//! run state that counts it), measures the thermal probe now and then and lets the GPU cool
//! down when the probe has slowed past [`COOL_DOWN_RATIO`], recreates a lost GPU device and
//! goes on, and honours pause / stop at once: between cells, between two GPU runs of a cell
//! (whose timings so far are then discarded), and every second of a cool-down.

use std::cell::Cell as StdCell;
use std::future::Future;
use std::pin::Pin;

use super::engine_port::{latency_ms, CellMeasurer, MeasureError};
use super::plan::{cell_macs, Plan, Planned};
use super::run_state::{RunState, RunStatus, COOL_DOWN_RATIO, COOL_DOWN_S};
use super::store::{Store, StoreError};
use crate::measure::{ClientInfo, MeasurementRecord, RunInfo};
use crate::net::Precision;

/// Times in a row a lost device is recreated for the same cell before the run gives up.
pub const MAX_DEVICE_LOSSES_PER_CELL: u32 = 3;

/// Pause and stop requests from the page, taken between cells and between the GPU runs of a
/// cell.
#[derive(Default)]
pub struct Controls {
    pause: StdCell<bool>,
    stop: StdCell<bool>,
}

impl Controls {
    pub fn request_pause(&self) {
        self.pause.set(true);
    }

    pub fn request_stop(&self) {
        self.stop.set(true);
    }

    /// Whether the loop is asked to leave (pause or stop).
    pub fn wants_out(&self) -> bool {
        self.pause.get() || self.stop.get()
    }

    /// The status the loop ends with when it acts on the requests now: stopped over paused;
    /// `None` when neither was asked for.
    pub fn requested_status(&self) -> Option<RunStatus> {
        if self.stop.get() {
            Some(RunStatus::Stopped)
        } else if self.pause.get() {
            Some(RunStatus::Paused)
        } else {
            None
        }
    }

    /// Withdraws a pause request the loop has not acted on yet.
    pub fn clear_pause(&self) {
        self.pause.set(false);
    }

    /// Clears both requests (before resuming).
    pub fn clear(&self) {
        self.pause.set(false);
        self.stop.set(false);
    }
}

/// What the loop reports to the page as it goes.
#[derive(Clone, Debug)]
pub enum RunEvent {
    /// About to measure this cell at this precision.
    Measuring { planned: Planned, precision: Precision },
    /// Measuring the thermal probe.
    Probing,
    /// A record was measured and stored.
    Recorded(Box<MeasurementRecord>),
    /// The probe was measured; the run state carries the new ratio.
    Probed { latency_ms: f64 },
    /// The GPU device was lost and recreated.
    DeviceLost { message: String },
    /// The run state changed (after every step).
    State(RunState),
    /// Every anchor is done and the space file is not loaded yet.
    NeedSpace,
    /// Letting the GPU cool down (the probe was `ratio` times slower than at the start);
    /// the probe is measured again in `seconds_left` seconds.
    Cooling { ratio: f64, seconds_left: u32 },
}

/// Why the run ended, or `Ok` with the run's final status (paused, stopped, finished).
#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    Store(StoreError),
    Measure(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Store(e) => write!(f, "{e}"),
            RunError::Measure(m) => write!(f, "measuring failed: {m}"),
        }
    }
}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::Store(e)
    }
}

/// Everything the loop works with.
pub struct Run<'a, M: CellMeasurer> {
    pub measurer: &'a mut M,
    pub store: &'a Store,
    pub plan: &'a mut Plan,
    pub state: &'a mut RunState,
    pub controls: &'a Controls,
    pub client: ClientInfo,
    /// Fresh record ids (UUID v4 in the app).
    pub new_id: &'a dyn Fn() -> String,
    /// Monotonic milliseconds.
    pub clock: &'a dyn Fn() -> f64,
    /// Wall-clock Unix milliseconds.
    pub unix_ms: &'a dyn Fn() -> u64,
    /// Waits one second (a timer in the app; tests pass time by hand).
    pub sleep_1s: &'a dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>,
    /// Whether the device is on its charger now, where the browser tells.
    pub charging: &'a dyn Fn() -> Option<bool>,
}

impl<M: CellMeasurer> Run<'_, M> {
    /// Runs until the budget is used up, the contributor pauses or stops, the space runs out,
    /// or an unrecoverable error. Returns the final status; the state is persisted either way.
    pub async fn go(&mut self, on: &mut dyn FnMut(RunEvent)) -> Result<RunStatus, RunError> {
        self.state.status = RunStatus::Running;
        self.state.error = None;
        self.store.put_run(self.state).await?;
        on(RunEvent::State(self.state.clone()));
        let result = self.steps(on).await;
        match &result {
            Ok(status) => self.state.status = *status,
            Err(e) => {
                self.state.status = RunStatus::Failed;
                self.state.error = Some(e.to_string());
            }
        }
        // Best effort: a failing store already reported its error.
        let _ = self.store.put_run(self.state).await;
        on(RunEvent::State(self.state.clone()));
        result
    }

    /// Tells the state how much work is ahead, for its time-left estimate and Quick's limit.
    fn note_work_ahead(&mut self) {
        self.state.anchor_macs_left = self.plan.anchor_macs_left();
        self.state.macs_ahead = self.plan.macs_ahead().unwrap_or(0.0);
    }

    async fn steps(&mut self, on: &mut dyn FnMut(RunEvent)) -> Result<RunStatus, RunError> {
        self.note_work_ahead();
        loop {
            if let Some(status) = self.controls.requested_status() {
                return Ok(status);
            }
            if self.state.budget_used_up() {
                return Ok(RunStatus::Finished);
            }
            let Some(next) = self.plan.next_cell() else {
                if self.plan.has_space() {
                    return Ok(RunStatus::Finished);
                }
                on(RunEvent::NeedSpace);
                return Err(RunError::Measure("the packed space (space.bin) is not loaded, so no more cells can be drawn".into()));
            };
            // The first anchor doubles as the probe's baseline when it is measured now.
            let probe_is_next = next.anchor && next.cell == self.plan.probe() && self.state.thermal_base_ms.is_none();
            if self.state.probe_due() && !probe_is_next {
                on(RunEvent::Probing);
                let t0 = (self.clock)();
                let probe = self.plan.probe();
                let own = self.measurer.precisions()[0];
                let Some(rec) = self.measure_recovering(&probe, own, on).await? else { continue };
                let ms = latency_ms(&rec);
                self.state.record_probe(ms);
                self.state.active_ms += (self.clock)() - t0;
                self.store.put_run(self.state).await?;
                on(RunEvent::Probed { latency_ms: ms });
                on(RunEvent::State(self.state.clone()));
                if self.state.needs_cool_down() {
                    if let Some(status) = self.cool_down(on).await? {
                        return Ok(status);
                    }
                }
                continue;
            }
            self.measure_cell(next, probe_is_next, on).await?;
        }
    }

    /// Measures `next` at each of the measurer's precisions, storing each record as it comes;
    /// the cell is done once it has its record at the device's own precision (the first). A
    /// pause or stop drops the timings of the precision in progress and returns (the loop then
    /// acts on the request).
    async fn measure_cell(&mut self, next: Planned, probe_is_next: bool, on: &mut dyn FnMut(RunEvent)) -> Result<(), RunError> {
        for (i, precision) in self.measurer.precisions().into_iter().enumerate() {
            on(RunEvent::Measuring { planned: next, precision });
            let t0 = (self.clock)();
            let Some(mut rec) = self.measure_recovering(&next.cell, precision, on).await? else { return Ok(()) };
            if i == 0 && probe_is_next {
                self.state.record_probe(latency_ms(&rec));
            }
            rec.id = (self.new_id)();
            rec.created_unix_ms = (self.unix_ms)();
            rec.client = self.client.clone();
            let info = self.state.record_cell((self.clock)() - t0, cell_macs(&next.cell), next.anchor);
            rec.run = Some(RunInfo { charging: (self.charging)(), ..info });
            if i == 0 {
                self.plan.mark_done(next.hash);
                self.note_work_ahead();
            }
            self.store.add_record(&rec, self.state).await?;
            on(RunEvent::Recorded(Box::new(rec)));
            on(RunEvent::State(self.state.clone()));
        }
        Ok(())
    }

    /// [`COOL_DOWN_S`] seconds without GPU work, then the probe again (the state asks for it);
    /// `Some(status)` when a pause or stop came meanwhile.
    async fn cool_down(&mut self, on: &mut dyn FnMut(RunEvent)) -> Result<Option<RunStatus>, RunError> {
        let ratio = self.state.thermal_ratio.unwrap_or(COOL_DOWN_RATIO);
        self.state.start_cool_down();
        self.store.put_run(self.state).await?;
        for seconds_left in (1..=COOL_DOWN_S).rev() {
            if let Some(status) = self.controls.requested_status() {
                return Ok(Some(status));
            }
            on(RunEvent::Cooling { ratio, seconds_left });
            (self.sleep_1s)().await;
        }
        Ok(None)
    }

    /// Measures `cell`, recreating a lost device; `None` when a pause or stop interrupted it
    /// (the loop then ends with that status).
    async fn measure_recovering(
        &mut self,
        cell: &crate::space::Cell,
        precision: Precision,
        on: &mut dyn FnMut(RunEvent),
    ) -> Result<Option<MeasurementRecord>, RunError> {
        let mut losses = 0;
        let controls = self.controls;
        loop {
            match self.measurer.measure(cell, precision, &|| controls.wants_out()).await {
                Ok(rec) => return Ok(Some(rec)),
                Err(MeasureError::Stopped) => return Ok(None),
                Err(MeasureError::DeviceLost(message)) => {
                    losses += 1;
                    self.state.device_lost_events += 1;
                    self.store.put_run(self.state).await?;
                    on(RunEvent::DeviceLost { message: message.clone() });
                    if losses >= MAX_DEVICE_LOSSES_PER_CELL {
                        return Err(RunError::Measure(format!("the GPU device was lost {losses} times on the same cell (last: {message})")));
                    }
                    self.measurer.recreate().await.map_err(RunError::Measure)?;
                }
                Err(MeasureError::Failed(m)) => return Err(RunError::Measure(m)),
            }
        }
    }
}
