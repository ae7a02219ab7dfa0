//! Fault classes of issue 13 on real `mmln run` processes (the `daemons` harness): a damaged or
//! newer data dir at start-up, the chain going away, SIGTERM under load, a peer killed
//! mid-payment, reorgs under a channel. Each module states the guarantee it checks.

mod common;

#[path = "faults/chain.rs"]
mod chain;
#[path = "faults/disk.rs"]
mod disk;
#[path = "faults/load.rs"]
mod load;
#[path = "faults/reorg.rs"]
mod reorg;
#[path = "faults/storage.rs"]
mod storage;
#[path = "faults/storm.rs"]
mod storm;
