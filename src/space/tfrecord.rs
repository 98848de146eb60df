//! TFRecord files, the container NAS-Bench-101 ships its dataset in: a sequence of records,
//! each `length: u64 LE`, the masked CRC-32C of those 8 bytes (`u32 LE`), `length` bytes of
//! data, and the masked CRC-32C of the data (`u32 LE`). The reader streams records one at a
//! time from any [`Read`] (wrap a file in a `BufReader`) and checks both checksums; its errors
//! name the record (counted from 1) and the byte offset where it starts. The writer writes the
//! same framing (tests build small dataset files with it).

use std::io::{self, Read, Write};

/// CRC-32C (Castagnoli), the checksum TFRecord framing uses.
const CRC32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
/// Added to the rotated checksum (TFRecord's mask, so data holding its own CRC still checks).
const MASK_DELTA: u32 = 0xa282_ead8;
/// Length, then its checksum.
const HEADER: usize = 12;

/// TFRecord's masked CRC-32C of `data`.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = CRC32C.checksum(data);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Why a record could not be read; `record` is 1-based, `offset` is where the record starts.
#[derive(Debug, thiserror::Error)]
pub enum TfRecordError {
    #[error("record {record} (byte offset {offset}): the file ends inside the record (truncated)")]
    Truncated { record: u64, offset: u64 },
    #[error("record {record} (byte offset {offset}): the checksum of its length does not match (corrupt file)")]
    LengthCrc { record: u64, offset: u64 },
    #[error("record {record} (byte offset {offset}): the checksum of its {length} data bytes does not match (corrupt file)")]
    DataCrc { record: u64, offset: u64, length: u64 },
    #[error("record {record} (byte offset {offset}): {source}")]
    Io { record: u64, offset: u64, source: io::Error },
}

impl TfRecordError {
    /// The 1-based number of the record the error is about.
    pub fn record(&self) -> u64 {
        match self {
            TfRecordError::Truncated { record, .. }
            | TfRecordError::LengthCrc { record, .. }
            | TfRecordError::DataCrc { record, .. }
            | TfRecordError::Io { record, .. } => *record,
        }
    }
}

/// Streams the records of a TFRecord file, checking both checksums of each.
pub struct TfRecordReader<R> {
    inner: R,
    /// Records read so far.
    records: u64,
    /// Bytes read so far.
    offset: u64,
    /// Set after an error: the stream's framing is lost, so nothing more is read.
    failed: bool,
}

impl<R: Read> TfRecordReader<R> {
    pub fn new(inner: R) -> Self {
        TfRecordReader { inner, records: 0, offset: 0, failed: false }
    }

    /// Bytes consumed so far (the end of the last record read).
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Records read so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// The next record's data; `None` at the end of the file (which must fall between records).
    pub fn next_record(&mut self) -> Option<Result<Vec<u8>, TfRecordError>> {
        if self.failed {
            return None;
        }
        let result = self.read_one().transpose()?;
        match &result {
            Ok(data) => {
                self.records += 1;
                self.offset += (HEADER + data.len() + 4) as u64;
            }
            Err(_) => self.failed = true,
        }
        Some(result)
    }

    /// Reads one record; `Ok(None)` when the file ends exactly before it.
    fn read_one(&mut self) -> Result<Option<Vec<u8>>, TfRecordError> {
        let (record, offset) = (self.records + 1, self.offset);
        let io_err = |source| TfRecordError::Io { record, offset, source };
        let mut header = [0u8; HEADER];
        match read_full(&mut self.inner, &mut header).map_err(io_err)? {
            0 => return Ok(None),
            HEADER => {}
            _ => return Err(TfRecordError::Truncated { record, offset }),
        }
        let (len_bytes, len_crc) = header.split_at(8);
        if masked_crc32c(len_bytes) != u32::from_le_bytes(len_crc.try_into().expect("4 bytes")) {
            return Err(TfRecordError::LengthCrc { record, offset });
        }
        let length = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        // Read through `take`, so a corrupt huge length meets the end of the file, not the allocator.
        let mut data = Vec::new();
        let got = (&mut self.inner).take(length).read_to_end(&mut data).map_err(io_err)?;
        let mut crc = [0u8; 4];
        if (got as u64) < length || read_full(&mut self.inner, &mut crc).map_err(io_err)? < 4 {
            return Err(TfRecordError::Truncated { record, offset });
        }
        if masked_crc32c(&data) != u32::from_le_bytes(crc) {
            return Err(TfRecordError::DataCrc { record, offset, length });
        }
        Ok(Some(data))
    }
}

impl<R: Read> Iterator for TfRecordReader<R> {
    type Item = Result<Vec<u8>, TfRecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

/// Fills `buf` as far as the stream allows; the count is short only at the end of the stream.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Writes records in TFRecord framing.
pub struct TfRecordWriter<W> {
    inner: W,
}

impl<W: Write> TfRecordWriter<W> {
    pub fn new(inner: W) -> Self {
        TfRecordWriter { inner }
    }

    /// Appends one record.
    pub fn write_record(&mut self, data: &[u8]) -> io::Result<()> {
        let len = (data.len() as u64).to_le_bytes();
        self.inner.write_all(&len)?;
        self.inner.write_all(&masked_crc32c(&len).to_le_bytes())?;
        self.inner.write_all(data)?;
        self.inner.write_all(&masked_crc32c(data).to_le_bytes())
    }

    /// The underlying writer (flush it if it buffers).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(records: &[&[u8]]) -> Vec<u8> {
        let mut w = TfRecordWriter::new(Vec::new());
        records.iter().for_each(|r| w.write_record(r).unwrap());
        w.into_inner()
    }

    #[test]
    fn masked_crc_matches_tensorflow() {
        // CRC-32C("123456789") is 0xe3069283 (the catalogue's check value); TFRecord masks it.
        assert_eq!(CRC32C.checksum(b"123456789"), 0xe306_9283);
        // ((0xe3069283 >> 15) | (0xe3069283 << 17)) + 0xa282ead8, modulo 2^32.
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
    }

    #[test]
    fn records_round_trip_and_count_bytes() {
        let bytes = file(&[b"first", b"", b"third record"]);
        let mut r = TfRecordReader::new(&bytes[..]);
        assert_eq!(r.next_record().unwrap().unwrap(), b"first");
        assert_eq!(r.bytes_read(), 16 + 5);
        let rest: Vec<Vec<u8>> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(rest, vec![b"".to_vec(), b"third record".to_vec()]);
        assert_eq!((r.records_read(), r.bytes_read()), (3, bytes.len() as u64));
        assert!(TfRecordReader::new(&[][..]).next().is_none(), "an empty stream has no records");
    }

    #[test]
    fn corruption_and_truncation_name_the_record_and_offset() {
        let bytes = file(&[b"aaaa", b"bbbb", b"cccc"]);
        let second = 20u64;
        let mut data_flip = bytes.clone();
        data_flip[second as usize + 13] ^= 1;
        let mut len_flip = bytes.clone();
        len_flip[second as usize] ^= 1;
        let err = |b: &[u8]| TfRecordReader::new(b).find_map(Result::err).unwrap();
        assert!(matches!(err(&data_flip), TfRecordError::DataCrc { record: 2, offset: 20, length: 4 }));
        assert!(matches!(err(&len_flip), TfRecordError::LengthCrc { record: 2, offset: 20 }));
        for cut in [second as usize + 5, second as usize + 14, bytes.len() - 1] {
            let e = err(&bytes[..cut]);
            assert_eq!(e.record(), if cut < 40 { 2 } else { 3 }, "cut at {cut}: {e}");
            assert!(matches!(e, TfRecordError::Truncated { .. }), "cut at {cut}: {e}");
        }
        assert!(err(&data_flip).to_string().contains("record 2 (byte offset 20)"));
        let mut r = TfRecordReader::new(&len_flip[..]);
        assert!(r.next().unwrap().is_ok());
        assert!(r.next().unwrap().is_err());
        assert!(r.next().is_none(), "nothing is read after an error");
    }
}
