//! Methods that exist only in these tests, to drive the real dispatcher through paths the
//! product methods of today do not reach (a `coin`, required params, a slow call). They are
//! served by a router the test builds; the product registry never lists them.

use std::sync::{Arc, Mutex};

use mmln::rpc::{MmError, MmResult, Router, RpcContext, RpcError, RpcMethod};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::{Barrier, Notify};

/// Shaped like `generate_invoice`: takes `coin`, a required and an optional field.
pub struct Invoice;

#[derive(Deserialize)]
pub struct InvoiceParams {
    description: String,
    amount_in_msat: Option<u64>,
}

#[derive(Serialize)]
pub struct InvoiceOutput {
    description: String,
    amount_in_msat: Option<u64>,
}

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum InvoiceError {
    #[error("Invalid description: {reason}")]
    InvalidDescription { reason: String },
}

impl RpcError for InvoiceError {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl RpcMethod for Invoice {
    const NAME: &'static str = "test::invoice";
    const TAKES_COIN: bool = true;
    type Params = InvoiceParams;
    type Output = InvoiceOutput;
    type Error = InvoiceError;

    async fn handle(_: &RpcContext, p: InvoiceParams) -> MmResult<InvoiceOutput, InvoiceError> {
        if p.description.is_empty() {
            return MmError::err(InvoiceError::InvalidDescription {
                reason: "empty".into(),
            });
        }
        Ok(InvoiceOutput {
            description: p.description,
            amount_in_msat: p.amount_in_msat,
        })
    }
}

/// Two calls that each wait for the other: completes only when calls run concurrently.
pub struct Rendezvous;

fn rendezvous_barrier() -> Arc<Barrier> {
    static BARRIER: Mutex<Option<Arc<Barrier>>> = Mutex::new(None);
    BARRIER
        .lock()
        .unwrap()
        .get_or_insert_with(|| Arc::new(Barrier::new(2)))
        .clone()
}

impl RpcMethod for Rendezvous {
    const NAME: &'static str = "test::rendezvous";
    const TAKES_COIN: bool = false;
    type Params = mmln::rpc::NoParams;
    type Output = bool;
    type Error = InvoiceError;

    async fn handle(_: &RpcContext, _: mmln::rpc::NoParams) -> MmResult<bool, InvoiceError> {
        Ok(rendezvous_barrier().wait().await.is_leader())
    }
}

/// Signals `ENTERED` when called, then waits for `RELEASE`.
pub struct Hold;

pub static ENTERED: Notify = Notify::const_new();
pub static RELEASE: Notify = Notify::const_new();

impl RpcMethod for Hold {
    const NAME: &'static str = "test::hold";
    const TAKES_COIN: bool = false;
    type Params = mmln::rpc::NoParams;
    type Output = &'static str;
    type Error = InvoiceError;

    async fn handle(
        _: &RpcContext,
        _: mmln::rpc::NoParams,
    ) -> MmResult<&'static str, InvoiceError> {
        ENTERED.notify_one();
        RELEASE.notified().await;
        Ok("released")
    }
}

/// Never returns (until its task is dropped); signals `STUCK_ENTERED` when called.
pub struct Stuck;

pub static STUCK_ENTERED: Notify = Notify::const_new();

impl RpcMethod for Stuck {
    const NAME: &'static str = "test::stuck";
    const TAKES_COIN: bool = false;
    type Params = mmln::rpc::NoParams;
    type Output = bool;
    type Error = InvoiceError;

    async fn handle(_: &RpcContext, _: mmln::rpc::NoParams) -> MmResult<bool, InvoiceError> {
        STUCK_ENTERED.notify_one();
        std::future::pending().await
    }
}

/// Panics: the server must answer `InternalError`, not drop the connection.
pub struct Panics;

impl RpcMethod for Panics {
    const NAME: &'static str = "test::panics";
    const TAKES_COIN: bool = false;
    type Params = mmln::rpc::NoParams;
    type Output = bool;
    type Error = InvoiceError;

    async fn handle(_: &RpcContext, _: mmln::rpc::NoParams) -> MmResult<bool, InvoiceError> {
        panic!("test::panics was called")
    }
}

/// The product methods plus the test methods.
pub fn test_router() -> Router {
    mmln::rpc::product_router()
        .with::<Invoice>()
        .with::<Rendezvous>()
        .with::<Hold>()
        .with::<Panics>()
        .with::<Stuck>()
}
