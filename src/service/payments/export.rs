//! CSV export of filtered payments, for receiving apps (Helipad and the like): one row per
//! payment with the bLIP-10 record decoded into columns.
//!
//! mmrpc answers JSON, so the CSV travels as one string field of the result; a client writes
//! it to a file as is. The text is RFC 4180: a header line, CRLF line ends, and a field quoted
//! (with inner quotes doubled) when it holds a comma, quote, CR or LF. Amounts are msat
//! integers, times unix seconds. Rows come in the list order (newest change first); an export
//! stops after `limit` rows and says where to continue (`next_from_id`).

use crate::ledger::{LedgerError, Paging, Payment, PaymentFilter, MAX_LIMIT};

use super::blip10::{Blip10Metadata, BLIP10_RECORD_KEY};
use super::hub::PaymentHub;

/// Default and largest number of rows one export returns.
pub const DEFAULT_EXPORT_ROWS: u64 = 10_000;
pub const MAX_EXPORT_ROWS: u64 = 100_000;

/// The header, in column order.
pub const CSV_COLUMNS: &[&str] = &[
    "payment_hash",
    "direction",
    "kind",
    "status",
    "amount_msat",
    "fee_paid_msat",
    "created_at",
    "last_updated",
    "destination",
    "description",
    "wallet_id",
    "split_id",
    "custom_record_keys",
    "blip10_action",
    "blip10_podcast",
    "blip10_feed_id",
    "blip10_episode",
    "blip10_item_id",
    "blip10_ts",
    "blip10_time",
    "blip10_app_name",
    "blip10_app_version",
    "blip10_sender_name",
    "blip10_name",
    "blip10_message",
    "blip10_value_msat",
    "blip10_value_msat_total",
    "blip10_boost_link",
];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid limit {0}: an export has 1 to {MAX_EXPORT_ROWS} rows")]
    InvalidLimit(u64),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

/// One export.
#[derive(Debug, Clone)]
pub struct Export {
    pub csv: String,
    pub rows: u64,
    /// Filtered payments in all (not only those exported).
    pub total: u64,
    /// When more rows match: the last exported hash, for `from_id` of the next export.
    pub next_from_id: Option<[u8; 32]>,
}

impl PaymentHub {
    /// Exports up to `limit` payments matching `filter`, starting after `from_id`.
    pub async fn export_csv(
        &self,
        filter: PaymentFilter,
        limit: Option<u64>,
        from_id: Option<[u8; 32]>,
    ) -> Result<Export, ExportError> {
        let limit = limit.unwrap_or(DEFAULT_EXPORT_ROWS);
        if !(1..=MAX_EXPORT_ROWS).contains(&limit) {
            return Err(ExportError::InvalidLimit(limit));
        }
        let mut csv = String::new();
        push_row(&mut csv, CSV_COLUMNS.iter().map(|c| c.to_string()));
        let mut rows = 0u64;
        let mut total = 0u64;
        let mut anchor = from_id;
        let mut next_from_id = None;
        while rows < limit {
            let page_size =
                u32::try_from((limit - rows).min(u64::from(MAX_LIMIT))).unwrap_or(MAX_LIMIT);
            let paging = anchor.map_or(Paging::PageNumber(1), Paging::FromId);
            let page_filter = filter.clone();
            let page = self
                .ledger
                .blocking(move |l| l.list_payments(&page_filter, page_size, paging))
                .await?;
            total = page.total;
            for payment in &page.payments {
                push_row(&mut csv, fields(payment));
                rows += 1;
            }
            let last = page.payments.last().map(|p| p.payment_hash);
            let more = page.skipped + (page.payments.len() as u64) < page.total;
            if !more || last.is_none() {
                break;
            }
            anchor = last;
            if rows >= limit {
                next_from_id = last;
            }
        }
        Ok(Export {
            csv,
            rows,
            total,
            next_from_id,
        })
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The CSV fields of one payment, in [`CSV_COLUMNS`] order.
fn fields(p: &Payment) -> Vec<String> {
    let blip = p
        .custom_records
        .iter()
        .find(|r| r.key == BLIP10_RECORD_KEY)
        .and_then(|r| Blip10Metadata::parse(&r.value))
        .unwrap_or_default();
    let keys: Vec<String> = p.custom_records.iter().map(|r| r.key.to_string()).collect();
    vec![
        hex::encode(p.payment_hash),
        p.direction.as_str().to_string(),
        p.kind.as_str().to_string(),
        p.status.as_str().to_string(),
        opt(p.amount_msat),
        opt(p.fee_paid_msat),
        p.created_at.to_string(),
        p.last_updated.to_string(),
        opt(p.destination.map(hex::encode)),
        p.description.clone(),
        opt(p.wallet_id.as_ref()),
        opt(p.split_id.as_ref()),
        keys.join(" "),
        opt(blip.action.as_ref().map(|a| a.as_str().to_string())),
        opt(blip.podcast),
        opt(blip.feed_id),
        opt(blip.episode),
        opt(blip.item_id),
        opt(blip.ts),
        opt(blip.time),
        opt(blip.app_name),
        opt(blip.app_version),
        opt(blip.sender_name),
        opt(blip.name),
        opt(blip.message),
        opt(blip.value_msat),
        opt(blip.value_msat_total),
        opt(blip.boost_link),
    ]
}

/// Appends one CSV line (RFC 4180 quoting, CRLF).
fn push_row(csv: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            csv.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            csv.push('"');
            csv.push_str(&field.replace('"', "\"\""));
            csv.push('"');
        } else {
            csv.push_str(&field);
        }
    }
    csv.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut csv = String::new();
        push_row(
            &mut csv,
            ["plain", "a,b", "say \"hi\"", "two\nlines", ""].map(String::from),
        );
        assert_eq!(csv, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }
}
