//! The typed method router and the wire error model.
//!
//! - [`dispatcher`]: method name -> typed params -> handler -> result; the dispatcher's errors.
//! - [`method`]: the [`RpcMethod`] trait every method implements, one file per method, grouped
//!   by namespace (`lightning/payments/send_payment.rs` for `lightning::payments::send_payment`).
//! - [`registry`]: the one list of served methods.
//! - [`error`]: [`MmError`] (typed error + trace) and [`WireError`] (what goes on the wire).
//! - [`context`]: [`RpcContext`], what handlers can reach.
//! - [`coin`]: the `coin` parameter check.

pub mod cln;
pub mod coin;
pub mod context;
pub mod dispatcher;
pub mod error;
pub mod lightning;
pub mod method;
pub mod registry;
pub mod task;
pub mod version;

pub use context::RpcContext;
pub use dispatcher::{DispatcherError, Router};
pub use error::{MapMmError, MapToMmResult, MmError, MmResult, RpcError, WireError};
pub use method::{NoParams, RpcMethod};
pub use registry::{method_names, product_router};
