//! RPC errors with Core's codes, and parameter access with Core's error answers for missing,
//! mistyped and malformed arguments.

use std::str::FromStr;

use serde_json::{json, Value};

/// Core's `RPCErrorCode` values used here.
pub mod code {
    pub const MISC_ERROR: i32 = -1;
    pub const TYPE_ERROR: i32 = -3;
    pub const INVALID_ADDRESS_OR_KEY: i32 = -5;
    pub const INVALID_PARAMETER: i32 = -8;
    pub const DATABASE_ERROR: i32 = -20;
    pub const DESERIALIZATION_ERROR: i32 = -22;
    pub const TRANSACTION_ERROR: i32 = -25;
    pub const TRANSACTION_REJECTED: i32 = -26;
    pub const TRANSACTION_ALREADY_IN_CHAIN: i32 = -27;
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const PARSE_ERROR: i32 = -32700;
}

/// An error answer: `{"code": .., "message": ..}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({ "code": self.code, "message": self.message })
    }
}

/// The JSON type names Core's argument checks print.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One call's arguments, positional (named arguments are mapped to positions first).
pub struct Args {
    method: &'static str,
    names: &'static [&'static str],
    values: Vec<Value>,
}

impl Args {
    /// Positional or named (`{"name": value}`) parameters for a method taking `names`.
    pub fn new(
        method: &'static str,
        names: &'static [&'static str],
        params: Value,
    ) -> Result<Self, RpcError> {
        let values = match params {
            Value::Null => Vec::new(),
            Value::Array(values) => values,
            Value::Object(map) => {
                let mut values = vec![Value::Null; names.len()];
                for (key, value) in map {
                    let Some(position) = names.iter().position(|n| *n == key) else {
                        return Err(RpcError::new(
                            code::INVALID_PARAMETER,
                            format!("Unknown named parameter {key}"),
                        ));
                    };
                    values[position] = value;
                }
                while values.last() == Some(&Value::Null) {
                    values.pop();
                }
                values
            }
            _ => {
                return Err(RpcError::new(
                    code::INVALID_REQUEST,
                    "Params must be an array or object",
                ))
            }
        };
        if values.len() > names.len() {
            return Err(RpcError::new(
                code::MISC_ERROR,
                format!(
                    "{method} takes at most {} arguments ({})",
                    names.len(),
                    names.join(", ")
                ),
            ));
        }
        Ok(Self {
            method,
            names,
            values,
        })
    }

    /// The argument at `index`; absent and JSON null both mean "not given", as in Core.
    pub fn get(&self, index: usize) -> Option<&Value> {
        self.values.get(index).filter(|v| !v.is_null())
    }

    fn missing(&self, index: usize) -> RpcError {
        RpcError::new(
            code::MISC_ERROR,
            format!(
                "{} requires argument {} ({})",
                self.method,
                index + 1,
                self.names.get(index).unwrap_or(&"?")
            ),
        )
    }

    /// Core's "Wrong type passed" answer.
    pub fn wrong_type(&self, index: usize, expected: &str) -> RpcError {
        let found = self.get(index).map(type_name).unwrap_or("null");
        let position = format!(
            "Position {} ({})",
            index + 1,
            self.names.get(index).unwrap_or(&"?")
        );
        let detail = json!({ position: format!("JSON value of type {found} is not of expected type {expected}") });
        let detail = serde_json::to_string_pretty(&detail).unwrap_or_default();
        // Core indents its detail object by four spaces.
        let detail = detail.replace("\n  ", "\n    ");
        RpcError::new(code::TYPE_ERROR, format!("Wrong type passed:\n{detail}"))
    }

    pub fn required(&self, index: usize) -> Result<&Value, RpcError> {
        self.get(index).ok_or_else(|| self.missing(index))
    }

    pub fn str(&self, index: usize) -> Result<&str, RpcError> {
        self.required(index)?
            .as_str()
            .ok_or_else(|| self.wrong_type(index, "string"))
    }

    pub fn i64(&self, index: usize) -> Result<i64, RpcError> {
        let value = self.required(index)?;
        value.as_i64().ok_or_else(|| match value {
            Value::Number(_) => RpcError::new(code::TYPE_ERROR, "JSON integer out of range"),
            _ => self.wrong_type(index, "number"),
        })
    }

    pub fn opt_i64(&self, index: usize) -> Result<Option<i64>, RpcError> {
        self.get(index).map(|_| self.i64(index)).transpose()
    }

    pub fn opt_bool(&self, index: usize, default: bool) -> Result<bool, RpcError> {
        match self.get(index) {
            None => Ok(default),
            Some(value) => value
                .as_bool()
                .ok_or_else(|| self.wrong_type(index, "bool")),
        }
    }

    /// A verbosity that Core also accepts as a bool (`true` = 1, `false` = 0).
    pub fn verbosity(&self, index: usize, default: i64) -> Result<i64, RpcError> {
        match self.get(index) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(i64::from(*b)),
            Some(_) => self.i64(index),
        }
    }

    /// A BTC amount (number or numeric string), in satoshis.
    pub fn opt_amount_sat(&self, index: usize) -> Result<Option<u64>, RpcError> {
        let Some(value) = self.get(index) else {
            return Ok(None);
        };
        let btc = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse::<f64>().ok(),
            _ => return Err(self.wrong_type(index, "number")),
        };
        match btc {
            Some(btc) if btc >= 0.0 && btc.is_finite() => Ok(Some((btc * 1e8).round() as u64)),
            Some(_) => Err(RpcError::new(code::TYPE_ERROR, "Amount out of range")),
            None => Err(RpcError::new(code::TYPE_ERROR, "Invalid amount")),
        }
    }

    /// A 32-byte hash in hex, with Core's `ParseHashV` answers.
    pub fn hash<T: FromStr>(&self, index: usize) -> Result<T, RpcError> {
        let text = self.str(index)?;
        let name = self.names.get(index).unwrap_or(&"hash");
        if text.len() != 64 {
            return Err(RpcError::new(
                code::INVALID_PARAMETER,
                format!(
                    "{name} must be of length 64 (not {}, for '{text}')",
                    text.len()
                ),
            ));
        }
        text.parse::<T>().map_err(|_| {
            RpcError::new(
                code::INVALID_PARAMETER,
                format!("{name} must be hexadecimal string (not '{text}')"),
            )
        })
    }
}
