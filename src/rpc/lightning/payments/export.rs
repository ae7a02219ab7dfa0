//! `lightning::payments::export` (mmln): payments matching a `list_payments_by_filter` filter
//! as CSV with decoded bLIP-10 columns. mmrpc answers JSON, so the CSV is the `csv` string of
//! the result (see `service/payments/export.rs` for the columns and quoting).

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::list_payments_by_filter::PaymentsFilterWire;
use super::wire::HashParam;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct Export;

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
}

#[derive(Debug, Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    filter: Option<PaymentsFilterWire>,
    format: ExportFormat,
    /// Rows at most (default 10000, at most 100000).
    #[serde(default)]
    limit: Option<u64>,
    /// Continue after this payment (an earlier export's `next_from_id`).
    #[serde(default)]
    from_id: Option<HashParam>,
}

#[derive(Debug, Serialize)]
pub struct ExportResponse {
    format: ExportFormat,
    rows: u64,
    total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_from_id: Option<String>,
    csv: String,
}

impl RpcMethod for Export {
    const NAME: &'static str = "lightning::payments::export";
    const TAKES_COIN: bool = true;
    type Params = ExportParams;
    type Output = ExportResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: ExportParams,
    ) -> MmResult<ExportResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let filter = params
            .filter
            .unwrap_or_default()
            .to_filter()
            .map_to_mm(|e| e)?;
        let export = engine
            .payments()
            .export_csv(filter, params.limit, params.from_id.map(|h| h.0))
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(ExportResponse {
            format: params.format,
            rows: export.rows,
            total: export.total,
            next_from_id: export.next_from_id.map(hex::encode),
            csv: export.csv,
        })
    }
}
