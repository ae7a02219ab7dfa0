//! Per-wallet sums (`wallet_totals`), answered from the `payments_wallet_totals` index.

use rusqlite::params;

use crate::ledger::error::LedgerError;
use crate::ledger::filter::bound;
use crate::ledger::model::WalletTotals;
use crate::ledger::Ledger;

impl Ledger {
    /// Sums of the payments tagged with `wallet_id` whose `created_at` lies in `[from, to]`:
    /// settled amounts received and sent (with fees), and what is still in flight each way.
    pub fn wallet_totals(
        &self,
        wallet_id: &str,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<WalletTotals, LedgerError> {
        let from = bound(from.unwrap_or(0));
        let to = bound(to.unwrap_or(u64::MAX));
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT direction, status, count(*), coalesce(sum(amount_msat), 0), \
                 coalesce(sum(fee_paid_msat), 0) FROM payments \
                 WHERE wallet_id = ?1 AND created_at >= ?2 AND created_at <= ?3 \
                 GROUP BY direction, status",
            )?;
            let mut rows = stmt.query(params![wallet_id, from, to])?;
            let mut totals = WalletTotals::default();
            while let Some(row) = rows.next()? {
                let direction: String = row.get(0)?;
                let status: String = row.get(1)?;
                let n = u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0);
                let amount = u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0);
                let fee = u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0);
                match (direction.as_str(), status.as_str()) {
                    ("inbound", "succeeded") => {
                        totals.received_msat += amount;
                        totals.received_count += n;
                    }
                    ("inbound", "claimable" | "held") => totals.pending_received_msat += amount,
                    ("outbound", "succeeded") => {
                        totals.sent_msat += amount;
                        totals.sent_fee_msat += fee;
                        totals.sent_count += n;
                    }
                    ("outbound", "pending") => totals.pending_sent_msat += amount,
                    _ => {}
                }
            }
            Ok(totals)
        })
    }
}
