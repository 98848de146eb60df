//! NAS-Bench-101's trained results for the cells of the space, in a compact file of our own
//! (`leti nasbench import` writes it from the dataset's TFRecord file; the CLI, the collector
//! and the web app read it). Cells are in the packed space's order (the generator's), keyed by
//! their generator codes, so a cell drawn in any vertex order is found by the code of its
//! generator labeling ([`Cell::canonical`]) with a binary search.
//!
//! For each epoch budget the file has (4, 12, 36, 108: the full dataset; 108 alone: the small
//! one), each cell keeps every training repeat the dataset has (3 in NAS-Bench-101): final test
//! and validation accuracy, and training time. Means are computed on reading.
//!
//! Layout, little-endian: `magic "LETINB01"` (8 bytes), `version: u32`, `count: u32`,
//! `budgets: u8` (bit i: [`EPOCH_BUDGETS`]`[i]` present), 3 bytes zero; then `count` generator
//! codes (`u32`, strictly increasing), `count` trainable-parameter counts (`u32`, as the
//! dataset reports them; 0 for a cell the file lacks); then per budget present, ascending:
//! `count` repeat counts (`u8`, at most [`MAX_REPEATS`]), and `count * MAX_REPEATS` test
//! accuracies, as many validation accuracies (`u16`, accuracy x 65535, rounded) and training
//! times (`u16`, whole seconds, saturating), cell-major; unused repeats are 0.
//! The whole space at 108 epochs only is 27 bytes a cell (11.4 MB).

use super::spec::Cell;

pub const ACCURACY_MAGIC: &[u8; 8] = b"LETINB01";
pub const ACCURACY_VERSION: u32 = 1;
/// The epoch budgets NAS-Bench-101 trains for.
pub const EPOCH_BUDGETS: [u16; 4] = [4, 12, 36, 108];
/// The most training repeats kept per cell and budget.
pub const MAX_REPEATS: usize = 3;
const HEADER: usize = 20;
const SCALE: f64 = 65535.0;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccuracyFileError {
    #[error("not a LETI accuracy file (bad magic bytes; `leti nasbench import` writes one)")]
    BadMagic,
    #[error("accuracy file version {0} is not supported (this build reads version {ACCURACY_VERSION})")]
    Version(u32),
    #[error("accuracy file is truncated: expected {expected} bytes, found {found}")]
    Truncated { expected: usize, found: usize },
    #[error("accuracy file has {0} trailing bytes")]
    Trailing(usize),
    #[error("accuracy file names epoch budgets {0:#04x}, of which none or some are unknown")]
    Budgets(u8),
    #[error("accuracy file: the codes are not strictly increasing at cell {0}")]
    Order(usize),
    #[error("accuracy file: cell {index} has {count} repeats, more than {MAX_REPEATS}")]
    Repeats { index: usize, count: u8 },
}

/// One training run's final results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingRun {
    pub test_accuracy: f64,
    pub validation_accuracy: f64,
    pub training_seconds: f64,
}

/// The mean over a cell's repeats at one budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanResult {
    pub test_accuracy: f64,
    pub validation_accuracy: f64,
    pub training_seconds: f64,
    pub repeats: usize,
}

/// One budget's columns.
#[derive(Clone, Debug, Default, PartialEq)]
struct BudgetColumns {
    count: Vec<u8>,
    test: Vec<u16>,
    validation: Vec<u16>,
    seconds: Vec<u16>,
}

/// The results of every cell, in the packed space's order.
#[derive(Clone, Debug, PartialEq)]
pub struct Accuracies {
    /// Generator codes, strictly increasing.
    pub codes: Vec<u32>,
    /// Trainable parameters as the dataset reports them (0: the file lacks the cell).
    pub params: Vec<u32>,
    /// The budgets present, ascending.
    pub budgets: Vec<u16>,
    columns: Vec<BudgetColumns>,
}

fn quantize(acc: f64) -> u16 {
    (acc.clamp(0.0, 1.0) * SCALE).round() as u16
}

impl Accuracies {
    /// An empty table over the cells of `codes` (strictly increasing) for `budgets` (a subset
    /// of [`EPOCH_BUDGETS`], ascending).
    pub fn new(codes: Vec<u32>, budgets: Vec<u16>) -> Accuracies {
        let n = codes.len();
        let col = BudgetColumns { count: vec![0; n], test: vec![0; n * MAX_REPEATS], validation: vec![0; n * MAX_REPEATS], seconds: vec![0; n * MAX_REPEATS] };
        Accuracies { params: vec![0; n], columns: vec![col; budgets.len()], codes, budgets }
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The position of `budget` among the file's budgets.
    pub fn budget_index(&self, budget: u16) -> Option<usize> {
        self.budgets.iter().position(|&b| b == budget)
    }

    /// The index of `cell` (drawn in any vertex order), if the table covers it.
    pub fn index_of(&self, cell: &Cell) -> Option<usize> {
        self.codes.binary_search(&cell.canonical().generator_code()).ok()
    }

    /// Adds one training run of cell `index` at budget position `b`; `false` (and nothing
    /// added) when the cell already has [`MAX_REPEATS`].
    pub fn push_run(&mut self, index: usize, b: usize, run: TrainingRun) -> bool {
        let col = &mut self.columns[b];
        let k = col.count[index] as usize;
        if k >= MAX_REPEATS {
            return false;
        }
        let at = index * MAX_REPEATS + k;
        col.test[at] = quantize(run.test_accuracy);
        col.validation[at] = quantize(run.validation_accuracy);
        col.seconds[at] = run.training_seconds.round().clamp(0.0, u16::MAX as f64) as u16;
        col.count[index] += 1;
        true
    }

    /// The runs of cell `index` at budget position `b`, as stored.
    pub fn runs(&self, index: usize, b: usize) -> impl Iterator<Item = TrainingRun> + '_ {
        let col = &self.columns[b];
        (0..col.count[index] as usize).map(move |k| {
            let at = index * MAX_REPEATS + k;
            TrainingRun {
                test_accuracy: col.test[at] as f64 / SCALE,
                validation_accuracy: col.validation[at] as f64 / SCALE,
                training_seconds: col.seconds[at] as f64,
            }
        })
    }

    /// The mean of cell `index`'s runs at budget position `b`; `None` without any.
    pub fn mean(&self, index: usize, b: usize) -> Option<MeanResult> {
        let runs: Vec<TrainingRun> = self.runs(index, b).collect();
        let n = runs.len();
        (n > 0).then(|| {
            let avg = |f: fn(&TrainingRun) -> f64| runs.iter().map(f).sum::<f64>() / n as f64;
            MeanResult {
                test_accuracy: avg(|r| r.test_accuracy),
                validation_accuracy: avg(|r| r.validation_accuracy),
                training_seconds: avg(|r| r.training_seconds),
                repeats: n,
            }
        })
    }

    /// Mean test accuracy of every cell at budget position `b`, in order (NaN where the file
    /// lacks the cell): what Explore plots.
    pub fn mean_test_column(&self, b: usize) -> Vec<f32> {
        (0..self.len()).map(|i| self.mean(i, b).map_or(f32::NAN, |m| m.test_accuracy as f32)).collect()
    }

    /// Cells with at least one run at budget position `b`.
    pub fn covered(&self, b: usize) -> usize {
        self.columns[b].count.iter().filter(|&&c| c > 0).count()
    }

    /// The table without the budgets no cell has a run for (an import starts with every
    /// budget, and keeps those the dataset file has).
    pub fn without_empty_budgets(self) -> Accuracies {
        let (budgets, columns) = self.budgets.into_iter().zip(self.columns).filter(|(_, c)| c.count.iter().any(|&k| k > 0)).unzip();
        Accuracies { codes: self.codes, params: self.params, budgets, columns }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.len();
        let mut out = Vec::with_capacity(HEADER + n * (8 + self.budgets.len() * (1 + 6 * MAX_REPEATS)));
        out.extend_from_slice(ACCURACY_MAGIC);
        out.extend_from_slice(&ACCURACY_VERSION.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        let mask = self.budgets.iter().fold(0u8, |m, b| m | EPOCH_BUDGETS.iter().position(|e| e == b).map_or(0, |i| 1 << i));
        out.extend_from_slice(&[mask, 0, 0, 0]);
        self.codes.iter().for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
        self.params.iter().for_each(|p| out.extend_from_slice(&p.to_le_bytes()));
        for col in &self.columns {
            out.extend_from_slice(&col.count);
            for v in [&col.test, &col.validation, &col.seconds] {
                v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Accuracies, AccuracyFileError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != ACCURACY_MAGIC {
            return Err(AccuracyFileError::BadMagic);
        }
        let version = r.u32()?;
        if version != ACCURACY_VERSION {
            return Err(AccuracyFileError::Version(version));
        }
        let n = r.u32()? as usize;
        let mask = r.take(4)?[0];
        if mask == 0 || mask >> EPOCH_BUDGETS.len() != 0 {
            return Err(AccuracyFileError::Budgets(mask));
        }
        let budgets: Vec<u16> = (0..EPOCH_BUDGETS.len()).filter(|i| mask >> i & 1 == 1).map(|i| EPOCH_BUDGETS[i]).collect();
        let expected = HEADER + n * (8 + budgets.len() * (1 + 6 * MAX_REPEATS));
        if bytes.len() < expected {
            return Err(AccuracyFileError::Truncated { expected, found: bytes.len() });
        }
        if bytes.len() > expected {
            return Err(AccuracyFileError::Trailing(bytes.len() - expected));
        }
        let codes = r.u32s(n)?;
        if let Some(i) = codes.windows(2).position(|w| w[0] >= w[1]) {
            return Err(AccuracyFileError::Order(i + 1));
        }
        let params = r.u32s(n)?;
        let mut columns = Vec::with_capacity(budgets.len());
        for _ in &budgets {
            let count = r.take(n)?.to_vec();
            if let Some(index) = count.iter().position(|&c| c as usize > MAX_REPEATS) {
                return Err(AccuracyFileError::Repeats { index, count: count[index] });
            }
            columns.push(BudgetColumns { count, test: r.u16s(n * MAX_REPEATS)?, validation: r.u16s(n * MAX_REPEATS)?, seconds: r.u16s(n * MAX_REPEATS)? });
        }
        Ok(Accuracies { codes, params, budgets, columns })
    }
}

/// A cursor over the file's bytes (lengths are checked up front, so a short read is a bug
/// reported as truncation).
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, k: usize) -> Result<&'a [u8], AccuracyFileError> {
        let end = self.at + k;
        let s = self.bytes.get(self.at..end).ok_or(AccuracyFileError::Truncated { expected: end, found: self.bytes.len() })?;
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, AccuracyFileError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u32s(&mut self, n: usize) -> Result<Vec<u32>, AccuracyFileError> {
        Ok(self.take(4 * n)?.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    fn u16s(&mut self, n: usize) -> Result<Vec<u16>, AccuracyFileError> {
        Ok(self.take(2 * n)?.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect())
    }
}
