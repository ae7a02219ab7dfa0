//! The RPC middleware that gives JSON-RPC 2.0's notification and batch rules.
//!
//! jsonrpsee answers a notification (a request without `id`) with nothing, but does not run it,
//! and runs the calls of a batch one after another. JSON-RPC 2.0 says a notification is
//! executed and not answered, and mmrpc runs batch elements concurrently. This layer does both,
//! over the same inner service that serves single calls:
//! - a notification is called with a null id and its answer dropped;
//! - a batch runs every element at once and answers the calls in request order; an invalid
//!   element gets its own error; notifications add nothing; a batch of only notifications is
//!   answered with nothing; an empty batch is one `-32600` error (jsonrpsee's builder).

use std::future::Future;

use futures_util::future::join_all;
use jsonrpsee::core::middleware::{Batch, BatchEntry, Notification, Request, RpcServiceT};
use jsonrpsee::server::{BatchResponseBuilder, MethodResponse};
use jsonrpsee::types::{Id, TwoPointZero};

/// Wraps a service in [`Calls`].
#[derive(Debug, Clone, Copy)]
pub struct CallsLayer {
    /// Largest batch answer, in bytes (jsonrpsee's own limit for single answers).
    pub max_response_bytes: usize,
}

impl<S> tower::Layer<S> for CallsLayer {
    type Service = Calls<S>;

    fn layer(&self, inner: S) -> Calls<S> {
        Calls {
            inner,
            max_response_bytes: self.max_response_bytes,
        }
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Calls<S> {
    inner: S,
    max_response_bytes: usize,
}

impl<S> RpcServiceT for Calls<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.call(request)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let inner = self.inner.clone();
        async move {
            execute_notification(&inner, n).await;
            MethodResponse::notification()
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let inner = self.inner.clone();
        let limit = self.max_response_bytes;
        async move {
            let elements = batch.into_iter().map(|entry| {
                let inner = inner.clone();
                async move {
                    match entry {
                        Ok(BatchEntry::Call(request)) => Some(inner.call(request).await),
                        Ok(BatchEntry::Notification(n)) => {
                            execute_notification(&inner, n).await;
                            None
                        }
                        Err(err) => {
                            let (err, id) = err.into_parts();
                            Some(MethodResponse::error(id, err))
                        }
                    }
                }
            });
            let answers = join_all(elements).await;
            let only_notifications = !answers.is_empty() && answers.iter().all(Option::is_none);
            if only_notifications {
                return MethodResponse::notification();
            }
            let mut builder = BatchResponseBuilder::new_with_limit(limit);
            for answer in answers.into_iter().flatten() {
                if let Err(too_big) = builder.append(answer) {
                    return too_big;
                }
            }
            MethodResponse::from_batch(builder.finish())
        }
    }
}

/// Runs a notification as a call with a null id; the answer is dropped, as JSON-RPC 2.0 says.
async fn execute_notification<S>(inner: &S, n: Notification<'_>)
where
    S: RpcServiceT<MethodResponse = MethodResponse>,
{
    let request = Request {
        jsonrpc: TwoPointZero,
        id: Id::Null,
        method: n.method,
        params: n.params,
        extensions: n.extensions,
    };
    let answer = inner.call(request).await;
    if !answer.is_success() {
        tracing::debug!("a JSON-RPC notification failed: {}", answer.as_json());
    }
}
