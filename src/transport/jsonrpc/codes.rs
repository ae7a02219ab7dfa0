//! The one table of JSON-RPC error codes, keyed by mmrpc `error_type`.
//!
//! mmrpc names every error by its `error_type` and answers it with an HTTP status; JSON-RPC 2.0
//! wants an integer `code`. The code is derived from those two, never chosen per method, so a
//! new method's errors get stable codes without touching this file:
//! 1. an `error_type` listed in [`CODES_BY_ERROR_TYPE`] has the code listed there (JSON-RPC's own
//!    codes, for the errors JSON-RPC defines);
//! 2. every other error has `DOMAIN_CODE_BASE - http_status`: -10400 to -10499 for the 4xx
//!    class (the caller's mistake), -10500 to -10599 for the 5xx class (ours). A status outside
//!    400..=599 counts as 500.
//!
//! The error's `data` carries `error_type`, which tells errors of one class apart.
//!
//! This file uses `std` only: `build.rs` includes it to put the same codes into the OpenRPC
//! document that `rpc.discover` serves.

/// JSON-RPC 2.0: invalid JSON was received.
pub const PARSE_ERROR: i32 = -32700;
/// JSON-RPC 2.0: the JSON sent is not a valid request object.
pub const INVALID_REQUEST: i32 = -32600;
/// JSON-RPC 2.0: the method does not exist.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// JSON-RPC 2.0: invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC 2.0: internal JSON-RPC error.
pub const INTERNAL_ERROR: i32 = -32603;

/// `error_type`s that JSON-RPC 2.0 has a code for.
pub const CODES_BY_ERROR_TYPE: &[(&str, i32)] = &[
    // The dispatcher's "Error parsing request: ..." when params do not parse into the method's
    // params type; a method's own `InvalidRequest` is a bad parameter value, the same thing.
    ("InvalidRequest", INVALID_PARAMS),
    ("NoSuchMethod", METHOD_NOT_FOUND),
    // A method panicked, or its result did not serialize: a bug of ours.
    ("InternalError", INTERNAL_ERROR),
    ("SerializeResultFailed", INTERNAL_ERROR),
];

/// Domain errors have `DOMAIN_CODE_BASE - http_status`.
pub const DOMAIN_CODE_BASE: i32 = -10_000;

/// The JSON-RPC code of an mmrpc error answered with `http_status`.
pub fn code_for(error_type: &str, http_status: u16) -> i32 {
    if let Some((_, code)) = CODES_BY_ERROR_TYPE
        .iter()
        .find(|(listed, _)| *listed == error_type)
    {
        return *code;
    }
    let status = if (400..=599).contains(&http_status) {
        http_status
    } else {
        500
    };
    DOMAIN_CODE_BASE - i32::from(status)
}
