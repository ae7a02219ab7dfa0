//! On-disk state: an append-only log of chain events (`chain.log`) and a mempool snapshot
//! (`mempool.dat`, written at shutdown to a temp file, fsynced and renamed, as Core does).
//!
//! Each log record is `len: u32 LE | kind: u8 | payload | check: 4 bytes`, where `check` is the
//! start of SHA256d(kind | payload). Replaying the records rebuilds the exact chain. A torn
//! record at the end (a crash mid-write) is cut off on open.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Block, BlockHash, Transaction};

const LOG_FILE: &str = "chain.log";
const MEMPOOL_FILE: &str = "mempool.dat";
const KIND_BLOCK: u8 = 1;
const KIND_INVALIDATE: u8 = 2;

/// One replayable chain event.
pub enum Record {
    /// A block connected on top of the tip.
    Block(Block),
    /// `invalidateblock` of this hash.
    Invalidate(BlockHash),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the regtest data directory {path}: {source}")]
    OpenFailed { path: PathBuf, source: io::Error },
    #[error("reading {path} failed: {source}")]
    ReadFailed { path: PathBuf, source: io::Error },
    #[error("writing {path} failed: {source}")]
    WriteFailed { path: PathBuf, source: io::Error },
    #[error("{path} holds an undecodable record at byte {offset}")]
    InvalidRecord { path: PathBuf, offset: u64 },
}

pub struct Store {
    dir: PathBuf,
    log: File,
}

impl Store {
    /// Opens (or creates) the data directory and reads back every complete log record.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Record>), StoreError> {
        let open_failed = |source| StoreError::OpenFailed {
            path: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(open_failed)?;
        let log_path = dir.join(LOG_FILE);
        let mut log = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&log_path)
            .map_err(open_failed)?;
        let read_failed = |source| StoreError::ReadFailed {
            path: log_path.clone(),
            source,
        };
        let mut bytes = Vec::new();
        log.seek(SeekFrom::Start(0)).map_err(read_failed)?;
        log.read_to_end(&mut bytes).map_err(read_failed)?;

        let (records, good_len) = parse_records(&bytes, &log_path)?;
        if good_len < bytes.len() {
            tracing::warn!(
                path = %log_path.display(),
                dropped_bytes = bytes.len() - good_len,
                "cutting off a torn record at the end of the regtest chain log"
            );
            let write_failed = |source| StoreError::WriteFailed {
                path: log_path.clone(),
                source,
            };
            log.set_len(good_len as u64).map_err(write_failed)?;
            log.sync_all().map_err(write_failed)?;
        }
        Ok((
            Self {
                dir: dir.to_path_buf(),
                log,
            },
            records,
        ))
    }

    pub fn append_block(&mut self, block: &Block) -> Result<(), StoreError> {
        self.append(KIND_BLOCK, &serialize(block))
    }

    pub fn append_invalidate(&mut self, hash: &BlockHash) -> Result<(), StoreError> {
        self.append(KIND_INVALIDATE, hash.as_byte_array())
    }

    /// Makes every appended record durable.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        self.log
            .sync_data()
            .map_err(|source| self.write_failed(LOG_FILE, source))
    }

    fn append(&mut self, kind: u8, payload: &[u8]) -> Result<(), StoreError> {
        let len = u32::try_from(payload.len() + 1)
            .map_err(|_| self.write_failed(LOG_FILE, io::Error::other("record too large")))?;
        let mut record = Vec::with_capacity(payload.len() + 9);
        record.extend_from_slice(&len.to_le_bytes());
        record.push(kind);
        record.extend_from_slice(payload);
        let check = sha256d::Hash::hash(&record[4..]);
        record.extend_from_slice(&check.as_byte_array()[..4]);
        self.log
            .write_all(&record)
            .map_err(|source| self.write_failed(LOG_FILE, source))
    }

    /// Writes the mempool snapshot atomically: temp file, fsync, rename, fsync the directory.
    pub fn save_mempool(&self, txs: &[Transaction]) -> Result<(), StoreError> {
        let path = self.dir.join(MEMPOOL_FILE);
        let tmp = self.dir.join(format!("{MEMPOOL_FILE}.tmp"));
        let write = || -> io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&serialize(&txs.to_vec()))?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        };
        write().map_err(|source| self.write_failed(MEMPOOL_FILE, source))
    }

    /// Reads the mempool snapshot; a missing file is an empty mempool.
    pub fn load_mempool(&self) -> Result<Vec<Transaction>, StoreError> {
        let path = self.dir.join(MEMPOOL_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(StoreError::ReadFailed { path, source }),
        };
        deserialize(&bytes).map_err(|_| StoreError::InvalidRecord { path, offset: 0 })
    }

    fn write_failed(&self, file: &str, source: io::Error) -> StoreError {
        StoreError::WriteFailed {
            path: self.dir.join(file),
            source,
        }
    }
}

/// Parses records until the bytes end or a record is torn. Returns the records and the length
/// of the intact prefix. A record that is complete and checksummed but undecodable is an error
/// (that is corruption, not a crash).
fn parse_records(bytes: &[u8], path: &Path) -> Result<(Vec<Record>, usize), StoreError> {
    let mut records = Vec::new();
    let mut offset = 0usize;
    while bytes.len() - offset >= 4 {
        let len_bytes = [
            bytes[offset],
            bytes[offset + 1],
            bytes[offset + 2],
            bytes[offset + 3],
        ];
        let len = u32::from_le_bytes(len_bytes) as usize;
        let end = offset + 4 + len + 4;
        if len == 0 || end > bytes.len() {
            break;
        }
        let body = &bytes[offset + 4..offset + 4 + len];
        let check = sha256d::Hash::hash(body);
        if check.as_byte_array()[..4] != bytes[end - 4..end] {
            break;
        }
        let invalid = || StoreError::InvalidRecord {
            path: path.to_path_buf(),
            offset: offset as u64,
        };
        let record = match body[0] {
            KIND_BLOCK => Record::Block(deserialize(&body[1..]).map_err(|_| invalid())?),
            KIND_INVALIDATE => {
                Record::Invalidate(BlockHash::from_slice(&body[1..]).map_err(|_| invalid())?)
            }
            _ => return Err(invalid()),
        };
        records.push(record);
        offset = end;
    }
    Ok((records, offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::constants::genesis_block;
    use bitcoin::Network;

    #[test]
    fn torn_tail_is_cut_and_earlier_records_survive() {
        let dir = tempfile::tempdir().unwrap();
        let block = genesis_block(Network::Regtest);
        {
            let (mut store, records) = Store::open(dir.path()).unwrap();
            assert!(records.is_empty());
            store.append_block(&block).unwrap();
            store.append_invalidate(&block.block_hash()).unwrap();
            store.sync().unwrap();
        }
        let log = dir.path().join(LOG_FILE);
        let full = fs::read(&log).unwrap();
        fs::write(&log, &full[..full.len() - 3]).unwrap();
        let (_, records) = Store::open(dir.path()).unwrap();
        assert_eq!(records.len(), 1);
        assert!(matches!(&records[0], Record::Block(b) if b.block_hash() == block.block_hash()));
        assert!(fs::metadata(&log).unwrap().len() < full.len() as u64);
    }
}
