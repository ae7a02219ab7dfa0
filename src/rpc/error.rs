//! The wire error model of mmrpc 2.0.
//!
//! Every method has its own typed error enum. The enum:
//! - derives `Serialize` with `#[serde(tag = "error_type", content = "error_data")]`, so the
//!   variant name becomes `error_type` and its payload `error_data` (a unit variant has no
//!   payload, so no `error_data` key at all);
//! - derives `thiserror::Error`, whose `Display` is the human `error` message;
//! - implements [`RpcError`], which gives the HTTP status of each variant.
//!
//! [`MmError<E>`] carries such an error plus the trail of source locations it went through:
//! where it was created, and every place it was converted into another error type. Both are
//! recorded with `#[track_caller]`, so a plain `?` from `E` into `MmError<E>` records the line of
//! the `?`. Converting `MmError<A>` into `MmError<B>` needs [`MapMmError::map_mm_err`] or
//! [`MapMmError::mm_err`]: stable Rust cannot express a generic `From` for that next to the
//! blanket `From<T> for T`.
//!
//! [`WireError`] is the one rendered form the transport writes: message, path, trace, type,
//! data and HTTP status.
//!
//! Where the enums live: one `error.rs` per namespace directory (`lightning/payments/error.rs`,
//! `lightning/nodes/error.rs`, `task/error.rs`, ...) holds the error enums of that namespace's
//! methods and their conversions from the service errors. A method that cannot fail uses
//! [`NeverFails`]. Every method that needs the running engine answers its absence with its
//! `NoSuchCoin(ticker)` variant, through `no_such_coin_without_engine!`.

use std::fmt;
use std::panic::Location;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// A typed error that can be sent on the wire. See the module docs for the conventions.
pub trait RpcError: Serialize + fmt::Display + Send + 'static {
    /// The HTTP status this variant is answered with.
    fn status(&self) -> StatusCode;

    /// A JSON-RPC `code` of this variant's own, for methods that keep another protocol's codes
    /// (Core Lightning's `sendpay` family: 200, 201, 203, 204, ...). Such an error's
    /// `error_data` fields are also written at the top of the JSON-RPC `data`, where that
    /// protocol's clients read them. `None` (the default) takes the code from the one table
    /// in `transport/jsonrpc/codes.rs`.
    fn jsonrpc_code(&self) -> Option<i32> {
        None
    }
}

/// The error of a method that cannot fail: the empty enum says so in the type.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum NeverFails {}

impl RpcError for NeverFails {
    fn status(&self) -> StatusCode {
        match *self {}
    }
}

/// Implements `From<EngineNotRunning>` for method error enums: each answers a context without
/// the engine (only possible in transport tests) with its `NoSuchCoin(ticker)` variant, as KDF
/// answers for a lightning coin that is not enabled.
macro_rules! no_such_coin_without_engine {
    ($($error:ty),+ $(,)?) => {$(
        impl From<$crate::rpc::context::EngineNotRunning> for $error {
            fn from(e: $crate::rpc::context::EngineNotRunning) -> Self {
                Self::NoSuchCoin(e.ticker)
            }
        }
    )+};
}
pub(crate) use no_such_coin_without_engine;

/// `Result` with an [`MmError`].
pub type MmResult<T, E> = Result<T, MmError<E>>;

/// A typed error together with the source locations it passed through (oldest first).
pub struct MmError<E> {
    inner: E,
    trail: Vec<&'static Location<'static>>,
}

impl<E> MmError<E> {
    /// Wraps `inner`, recording the caller's location as where the error arose.
    #[track_caller]
    pub fn new(inner: E) -> Self {
        MmError {
            inner,
            trail: vec![Location::caller()],
        }
    }

    /// `Err(MmError::new(inner))`, recording the caller's location.
    #[track_caller]
    pub fn err<T>(inner: E) -> MmResult<T, E> {
        Err(MmError::new(inner))
    }

    /// The typed error.
    pub fn get_inner(&self) -> &E {
        &self.inner
    }

    /// The typed error, dropping the trail.
    pub fn into_inner(self) -> E {
        self.inner
    }

    /// Converts the inner error with `f`, recording the caller's location as a conversion.
    #[track_caller]
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> MmError<F> {
        let caller = Location::caller();
        let mut trail = self.trail;
        trail.push(caller);
        MmError {
            inner: f(self.inner),
            trail,
        }
    }

    /// `error_trace`: `file:line]` entries, newest first, separated by a space.
    pub fn trace(&self) -> String {
        let entries: Vec<String> = self
            .trail
            .iter()
            .rev()
            .map(|loc| format!("{}:{}]", file_stem(loc.file()), loc.line()))
            .collect();
        entries.join(" ")
    }

    /// `error_path`: the file names of the trace, newest first, consecutive repeats collapsed,
    /// joined by `.`.
    pub fn path(&self) -> String {
        let mut names: Vec<&str> = Vec::with_capacity(self.trail.len());
        for loc in self.trail.iter().rev() {
            let name = file_stem(loc.file());
            if names.last() != Some(&name) {
                names.push(name);
            }
        }
        names.join(".")
    }
}

impl<E> From<E> for MmError<E> {
    #[track_caller]
    fn from(inner: E) -> Self {
        MmError::new(inner)
    }
}

impl<E: fmt::Display> fmt::Display for MmError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<E: fmt::Debug> fmt::Debug for MmError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmError")
            .field("inner", &self.inner)
            .field("trace", &self.trace())
            .finish()
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for MmError<E> {}

/// Conversions of an [`MmResult`] into another error type, each recording the caller's location.
pub trait MapMmError<T, E> {
    /// Converts the error with `f`.
    fn mm_err<F>(self, f: impl FnOnce(E) -> F) -> MmResult<T, F>;
    /// Converts the error with `From`.
    fn map_mm_err<F: From<E>>(self) -> MmResult<T, F>;
}

impl<T, E> MapMmError<T, E> for MmResult<T, E> {
    #[track_caller]
    fn mm_err<F>(self, f: impl FnOnce(E) -> F) -> MmResult<T, F> {
        let caller = Location::caller();
        self.map_err(|err| {
            let mut trail = err.trail;
            trail.push(caller);
            MmError {
                inner: f(err.inner),
                trail,
            }
        })
    }

    #[track_caller]
    fn map_mm_err<F: From<E>>(self) -> MmResult<T, F> {
        let caller = Location::caller();
        self.map_err(|err| {
            let mut trail = err.trail;
            trail.push(caller);
            MmError {
                inner: F::from(err.inner),
                trail,
            }
        })
    }
}

/// Turns a plain `Result<T, E>` into an [`MmResult`], recording the caller's location as where
/// the error arose. (A closure passed to `map_err` cannot carry `#[track_caller]`.)
pub trait MapToMmResult<T, E> {
    fn map_to_mm<F>(self, f: impl FnOnce(E) -> F) -> MmResult<T, F>;
}

impl<T, E> MapToMmResult<T, E> for Result<T, E> {
    #[track_caller]
    fn map_to_mm<F>(self, f: impl FnOnce(E) -> F) -> MmResult<T, F> {
        let caller = Location::caller();
        self.map_err(|err| MmError {
            inner: f(err),
            trail: vec![caller],
        })
    }
}

/// `src/rpc/dispatcher.rs` -> `dispatcher`.
fn file_stem(path: &'static str) -> &'static str {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    base.strip_suffix(".rs").unwrap_or(base)
}

/// The rendered error: everything the transport writes, plus the HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct WireError {
    status: StatusCode,
    message: String,
    path: String,
    trace: String,
    error_type: String,
    error_data: Option<ErrorData>,
    jsonrpc_code: Option<i32>,
}

/// An error's payload, as a value and as the JSON text to send.
#[derive(Debug, Clone, PartialEq)]
struct ErrorData {
    value: Value,
    json: String,
}

/// `error_type` used when a typed error does not serialize in the tagged shape. That is a bug
/// in the error enum; the client still gets a well-formed error.
const UNSHAPED_ERROR_TYPE: &str = "InternalError";

impl WireError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// `error`: the human message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// `error_path`.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// `error_trace`.
    pub fn trace(&self) -> &str {
        &self.trace
    }
    /// `error_type`: the variant name.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }
    /// `error_data`: the variant's payload, `None` for a unit variant.
    pub fn error_data(&self) -> Option<&Value> {
        self.error_data.as_ref().map(|d| &d.value)
    }

    /// The method's own JSON-RPC code for this error, if it keeps one (see
    /// [`RpcError::jsonrpc_code`]).
    pub fn jsonrpc_code(&self) -> Option<i32> {
        self.jsonrpc_code
    }

    /// `error_data` as JSON text, fields in the order the error type declares them.
    pub fn error_data_json(&self) -> Option<&str> {
        self.error_data.as_ref().map(|d| d.json.as_str())
    }
}

impl<E: RpcError> From<MmError<E>> for WireError {
    fn from(err: MmError<E>) -> Self {
        let tagged = serde_json::to_string(&err.inner).ok();
        let (error_type, error_data) = tagged
            .as_deref()
            .and_then(split_tagged)
            .unwrap_or_else(|| (UNSHAPED_ERROR_TYPE.to_string(), None));
        WireError {
            status: err.inner.status(),
            message: err.inner.to_string(),
            path: err.path(),
            trace: err.trace(),
            error_type,
            error_data,
            jsonrpc_code: err.inner.jsonrpc_code(),
        }
    }
}

/// Splits `{"error_type":"X","error_data":D}` (serde's adjacently tagged form) into `X` and
/// `D`. `D` is kept as the text serde wrote, so struct fields stay in declaration order
/// (a `Value` would sort them). `None` when the error is not in the tagged shape.
fn split_tagged(tagged: &str) -> Option<(String, Option<ErrorData>)> {
    let value: Value = serde_json::from_str(tagged).ok()?;
    let obj = value.as_object()?;
    let error_type = obj.get("error_type")?.as_str()?.to_string();
    let Some(data) = obj.get("error_data") else {
        return (obj.len() == 1).then_some((error_type, None));
    };
    if obj.len() != 2 {
        return None;
    }
    let head = format!(
        "{{\"error_type\":{},\"error_data\":",
        serde_json::to_string(&error_type).ok()?
    );
    let json = tagged
        .strip_prefix(&head)
        .and_then(|rest| rest.strip_suffix('}'))
        .map_or_else(|| data.to_string(), str::to_string);
    Some((
        error_type,
        Some(ErrorData {
            value: data.clone(),
            json,
        }),
    ))
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
