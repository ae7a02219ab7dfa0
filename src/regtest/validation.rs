//! Mempool acceptance, in the order Bitcoin Core's `PreChecks`/`CheckTxInputs`/script checks run,
//! with Core's reject reasons so callers see the strings they would see from Core.

use std::collections::{HashMap, HashSet};
use std::fmt;

use bitcoin::{Amount, OutPoint, Transaction, TxOut};

use super::mempool::Mempool;

/// Core's `COINBASE_MATURITY`.
pub const COINBASE_MATURITY: u32 = 100;
/// Core's `MAX_MONEY`.
const MAX_MONEY: Amount = Amount::from_sat(21_000_000 * 100_000_000);
/// Core's `MAX_BLOCK_WEIGHT`; a transaction's stripped size times 4 may not exceed it.
const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Core's default `-minrelaytxfee`, in sat per 1000 vbytes.
pub const MIN_RELAY_FEE_SAT_PER_KVB: u64 = 1_000;
/// Below this lock time value, `nLockTime` is a height; at or above, a unix time.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;

const SEQUENCE_DISABLE_FLAG: u32 = 1 << 31;
const SEQUENCE_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_MASK: u32 = 0x0000_ffff;
const SEQUENCE_GRANULARITY: u32 = 9;

/// An unspent output and where it was created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coin {
    pub output: TxOut,
    pub height: u32,
    pub is_coinbase: bool,
}

/// Why a transaction was refused: Core's validation state, reason plus optional detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxReject {
    pub missing_inputs: bool,
    pub reason: String,
    pub details: Option<String>,
}

impl TxReject {
    fn invalid(reason: &str) -> Self {
        Self {
            missing_inputs: false,
            reason: reason.to_string(),
            details: None,
        }
    }

    fn with_details(reason: &str, details: String) -> Self {
        Self {
            missing_inputs: false,
            reason: reason.to_string(),
            details: Some(details),
        }
    }
}

/// Core's `ValidationState::ToString`: "reason, details".
impl fmt::Display for TxReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.details {
            Some(details) => write!(f, "{}, {}", self.reason, details),
            None => f.write_str(&self.reason),
        }
    }
}

/// The chain state a transaction is checked against: it must be valid in the next block.
pub struct TipContext<'a> {
    pub next_height: u32,
    /// Median time past of the tip (what the next block's lock times are compared with).
    pub tip_mtp: u32,
    /// Median time past of each active block, by height.
    pub mtp_by_height: &'a [u32],
    pub utxos: &'a HashMap<OutPoint, Coin>,
    pub mempool: &'a Mempool,
}

/// What acceptance learned about a transaction.
#[derive(Clone, Copy, Debug)]
pub struct Accepted {
    pub fee: Amount,
    pub vsize: u64,
}

/// Context-free checks (Core's `CheckTransaction`).
pub fn check_transaction(tx: &Transaction) -> Result<(), TxReject> {
    if tx.input.is_empty() {
        return Err(TxReject::invalid("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(TxReject::invalid("bad-txns-vout-empty"));
    }
    if (tx.base_size() as u64) * 4 > MAX_BLOCK_WEIGHT {
        return Err(TxReject::invalid("bad-txns-oversize"));
    }
    let mut total = Amount::ZERO;
    for output in &tx.output {
        if output.value > MAX_MONEY {
            return Err(TxReject::invalid("bad-txns-vout-toolarge"));
        }
        total = match total.checked_add(output.value) {
            Some(sum) if sum <= MAX_MONEY => sum,
            _ => return Err(TxReject::invalid("bad-txns-txouttotal-toolarge")),
        };
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    for input in &tx.input {
        if !seen.insert(input.previous_output) {
            return Err(TxReject::invalid("bad-txns-inputs-duplicate"));
        }
    }
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(TxReject::invalid("bad-cb-length"));
        }
    } else if tx.input.iter().any(|i| i.previous_output.is_null()) {
        return Err(TxReject::invalid("bad-txns-prevout-null"));
    }
    Ok(())
}

/// Checks `tx` for entry into the mempool on top of `ctx`.
pub fn check_mempool_acceptance(tx: &Transaction, ctx: &TipContext) -> Result<Accepted, TxReject> {
    check_transaction(tx)?;
    if tx.is_coinbase() {
        return Err(TxReject::invalid("coinbase"));
    }
    if !(1..=3).contains(&tx.version.0) {
        return Err(TxReject::invalid("version"));
    }
    if !is_final(tx, ctx.next_height, ctx.tip_mtp) {
        return Err(TxReject::invalid("non-final"));
    }
    let txid = tx.compute_txid();
    if ctx.mempool.contains_wtxid(&tx.compute_wtxid()) {
        return Err(TxReject::invalid("txn-already-in-mempool"));
    }
    if ctx.mempool.get(&txid).is_some() {
        return Err(TxReject::invalid("txn-same-nonwitness-data-in-mempool"));
    }
    if tx
        .input
        .iter()
        .any(|i| ctx.mempool.spender_of(&i.previous_output).is_some())
    {
        return Err(TxReject::invalid("txn-mempool-conflict"));
    }

    let coins = spent_coins(tx, ctx)?;
    check_sequence_locks(tx, &coins, ctx)?;
    let fee = check_inputs(tx, &coins, ctx.next_height)?;

    let vsize = tx.vsize() as u64;
    let required = Amount::from_sat(vsize * MIN_RELAY_FEE_SAT_PER_KVB / 1000);
    if fee < required {
        return Err(TxReject::with_details(
            "min relay fee not met",
            format!("{} < {}", fee.to_sat(), required.to_sat()),
        ));
    }
    verify_scripts(tx, &coins)?;
    Ok(Accepted { fee, vsize })
}

/// Core's `IsFinalTx` for the next block.
pub fn is_final(tx: &Transaction, next_height: u32, tip_mtp: u32) -> bool {
    let lock_time = tx.lock_time.to_consensus_u32();
    if lock_time == 0 {
        return true;
    }
    let limit = if lock_time < LOCKTIME_THRESHOLD {
        next_height
    } else {
        tip_mtp
    };
    if lock_time < limit {
        return true;
    }
    tx.input.iter().all(|i| i.sequence.is_final())
}

/// The coins `tx` spends, from the mempool or the UTXO set.
fn spent_coins(tx: &Transaction, ctx: &TipContext) -> Result<Vec<Coin>, TxReject> {
    let mut coins = Vec::with_capacity(tx.input.len());
    for input in &tx.input {
        let outpoint = &input.previous_output;
        if let Some(output) = ctx.mempool.output(outpoint) {
            // Mempool coins count as created in the next block (Core's MEMPOOL_HEIGHT).
            coins.push(Coin {
                output: output.clone(),
                height: ctx.next_height,
                is_coinbase: false,
            });
        } else if let Some(coin) = ctx.utxos.get(outpoint) {
            coins.push(coin.clone());
        } else {
            let txid = tx.compute_txid();
            let already_known = (0..tx.output.len()).any(|vout| {
                u32::try_from(vout)
                    .is_ok_and(|vout| ctx.utxos.contains_key(&OutPoint { txid, vout }))
            });
            if already_known {
                return Err(TxReject::invalid("txn-already-known"));
            }
            return Err(TxReject {
                missing_inputs: true,
                reason: "bad-txns-inputs-missingorspent".to_string(),
                details: None,
            });
        }
    }
    Ok(coins)
}

/// BIP68 relative lock times (Core's `CalculateSequenceLocks` + `EvaluateSequenceLocks`).
fn check_sequence_locks(
    tx: &Transaction,
    coins: &[Coin],
    ctx: &TipContext,
) -> Result<(), TxReject> {
    if tx.version.0 < 2 {
        return Ok(());
    }
    let mut min_height: i64 = -1;
    let mut min_time: i64 = -1;
    for (input, coin) in tx.input.iter().zip(coins) {
        let sequence = input.sequence.to_consensus_u32();
        if sequence & SEQUENCE_DISABLE_FLAG != 0 {
            continue;
        }
        let value = i64::from(sequence & SEQUENCE_MASK);
        if sequence & SEQUENCE_TYPE_FLAG != 0 {
            let base_height = coin.height.saturating_sub(1) as usize;
            let coin_time = i64::from(
                ctx.mtp_by_height
                    .get(base_height)
                    .copied()
                    .unwrap_or(ctx.tip_mtp),
            );
            min_time = min_time.max(coin_time + (value << SEQUENCE_GRANULARITY) - 1);
        } else {
            min_height = min_height.max(i64::from(coin.height) + value - 1);
        }
    }
    if min_height >= i64::from(ctx.next_height) || min_time >= i64::from(ctx.tip_mtp) {
        return Err(TxReject::invalid("non-BIP68-final"));
    }
    Ok(())
}

/// Core's `Consensus::CheckTxInputs`: maturity, value ranges, value in >= value out. Returns the fee.
fn check_inputs(tx: &Transaction, coins: &[Coin], spend_height: u32) -> Result<Amount, TxReject> {
    let mut value_in = Amount::ZERO;
    for coin in coins {
        if coin.is_coinbase && spend_height.saturating_sub(coin.height) < COINBASE_MATURITY {
            return Err(TxReject::with_details(
                "bad-txns-premature-spend-of-coinbase",
                format!(
                    "tried to spend coinbase at depth {}",
                    spend_height - coin.height
                ),
            ));
        }
        value_in = match value_in.checked_add(coin.output.value) {
            Some(sum) if sum <= MAX_MONEY && coin.output.value <= MAX_MONEY => sum,
            _ => return Err(TxReject::invalid("bad-txns-inputvalues-outofrange")),
        };
    }
    let value_out = tx.output.iter().map(|o| o.value).sum::<Amount>();
    if value_in < value_out {
        return Err(TxReject::with_details(
            "bad-txns-in-belowout",
            format!(
                "value in ({}) < value out ({})",
                format_money(value_in),
                format_money(value_out)
            ),
        ));
    }
    Ok(value_in - value_out)
}

/// Script verification through libbitcoinconsensus with its full flag set (P2SH, DERSIG,
/// NULLDUMMY, CLTV, CSV, WITNESS). That library predates taproot, so witness v1 spends are
/// checked only as far as segwit v0 rules reach (as unknown witness versions).
fn verify_scripts(tx: &Transaction, coins: &[Coin]) -> Result<(), TxReject> {
    let serialized = bitcoin::consensus::serialize(tx);
    for (index, coin) in coins.iter().enumerate() {
        if coin
            .output
            .script_pubkey
            .verify(index, coin.output.value, &serialized)
            .is_err()
        {
            // libbitcoinconsensus reports only that the script failed, not Core's script error
            // text, so the detail names the failing input instead.
            return Err(TxReject::invalid(&format!(
                "mandatory-script-verify-flag-failed (Script failed an evaluation on input {index})"
            )));
        }
    }
    Ok(())
}

/// Core's `FormatMoney`: BTC with trailing zeros trimmed to at least two decimals.
pub fn format_money(amount: Amount) -> String {
    let sat = amount.to_sat();
    let mut text = format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
    while text.ends_with('0') && text.len() - text.find('.').unwrap_or(0) > 3 {
        text.pop();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_like_core() {
        assert_eq!(format_money(Amount::from_sat(100_000_000)), "1.00");
        assert_eq!(format_money(Amount::from_sat(10_000)), "0.0001");
        assert_eq!(format_money(Amount::from_sat(123_456_789)), "1.23456789");
    }
}
