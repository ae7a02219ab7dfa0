//! Every method's params through the real dispatcher: random JSON is answered with a result or
//! a well-formed error, never a panic. The context has no node (as before activation), so a
//! call whose params parse ends in the method's own "not ready" error rather than touching a
//! node; what is fuzzed is everything up to that point: params, coin, amounts, filters.

use std::sync::Arc;

use mmln::config::Config;
use mmln::rpc::{product_router, RpcContext};
use mmln::transport::envelope::render_error;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::envelope::assert_well_formed_error;
use crate::strategies::{config, json, object};

fn context() -> RpcContext {
    RpcContext::new(Arc::new(Config {
        rpc_password: Some("Fuzz-Passw0rd!".to_string()),
        ..Config::default()
    }))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Calls `method` with `params`; the answer must be JSON or a well-formed error.
fn call(
    rt: &tokio::runtime::Runtime,
    ctx: &RpcContext,
    method: &str,
    params: Value,
) -> Result<(), TestCaseError> {
    let router = product_router();
    let answer = rt.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            router.dispatch(ctx.clone(), method, params),
        )
        .await
    });
    let answer =
        answer.map_err(|_| TestCaseError::fail(format!("{method} did not answer in 10 s")))?;
    match answer {
        Ok(result) => {
            serde_json::from_str::<Value>(&result)
                .map_err(|e| TestCaseError::fail(format!("{method}: result not JSON: {e}")))?;
        }
        Err(wire) => {
            let status = wire.status().as_u16();
            prop_assert!(
                (400..600).contains(&status),
                "{}: status {}",
                method,
                status
            );
            prop_assert!(!wire.message().is_empty(), "{}: empty message", method);
            assert_well_formed_error(&render_error(Some(1), &wire))?;
        }
    }
    Ok(())
}

fn method() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(product_router().method_names())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_every_method_with_random_params(name in method(), params in json()) {
        let (rt, ctx) = (runtime(), context());
        call(&rt, &ctx, name, params)?;
    }

    /// Objects with the right coin, so the parse goes past the coin check into the fields.
    #[test]
    fn fuzz_every_method_with_random_fields(name in method(), params in object()) {
        let (rt, ctx) = (runtime(), context());
        let mut params = params;
        params["coin"] = json!("tBTC-lightning");
        call(&rt, &ctx, name, params)?;
    }
}
