//! The shape every method file follows.
//!
//! A method is one file under `src/rpc/<namespace>/<method>.rs` holding: its params struct, its
//! result struct and a unit struct implementing [`RpcMethod`] whose handler makes one call into
//! `service/`; its error enum lives in the namespace's `error.rs` (see [`super::error`]). It is
//! then listed once in [`super::registry`]; `rpc-spec/README.md` lists every step. The dispatcher does the rest:
//! it parses the params (answering `InvalidRequest` with serde's message), checks `coin` when
//! [`RpcMethod::TAKES_COIN`] is set, calls [`RpcMethod::handle`] and serializes the result.

use std::fmt;
use std::future::Future;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::context::RpcContext;
use super::error::{MmResult, RpcError};

/// One mmrpc method.
pub trait RpcMethod: Send + Sync + 'static {
    /// The wire name, e.g. `lightning::payments::send_payment`.
    const NAME: &'static str;
    /// Whether params carry a `coin` that must be the configured lightning ticker. All
    /// `lightning::*` methods do. The params type need not declare the field (serde ignores
    /// unknown fields unless the type denies them, in which case it must declare `coin`).
    const TAKES_COIN: bool;
    /// The typed params, parsed from `params` (`null` when the request has none).
    type Params: DeserializeOwned + Send + 'static;
    /// The typed result, written as `result`.
    type Output: Serialize + Send + 'static;
    /// The method's own error enum.
    type Error: RpcError;

    /// Serves one call.
    fn handle(
        ctx: &RpcContext,
        params: Self::Params,
    ) -> impl Future<Output = MmResult<Self::Output, Self::Error>> + Send;
}

/// Params of a method that takes none: accepts an absent/`null` `params` or any object (whose
/// fields are ignored, as KDF ignores them), and refuses other JSON types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoParams;

impl<'de> Deserialize<'de> for NoParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NoParamsVisitor;
        impl<'de> Visitor<'de> for NoParamsVisitor {
            type Value = NoParams;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null or an object")
            }
            fn visit_unit<E>(self) -> Result<NoParams, E> {
                Ok(NoParams)
            }
            fn visit_none<E>(self) -> Result<NoParams, E> {
                Ok(NoParams)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoParams, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(NoParams)
            }
        }
        deserializer.deserialize_any(NoParamsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_params_accepts_null_and_objects_only() {
        assert_eq!(
            serde_json::from_value::<NoParams>(json!(null)).unwrap(),
            NoParams
        );
        assert_eq!(
            serde_json::from_value::<NoParams>(json!({"x": [1]})).unwrap(),
            NoParams
        );
        let err = serde_json::from_value::<NoParams>(json!(5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid type: integer `5`, expected null or an object"
        );
        assert!(serde_json::from_value::<NoParams>(json!([])).is_err());
        assert!(serde_json::from_value::<NoParams>(json!("s")).is_err());
    }
}
