//! `/jsonrpc` on the mmrpc port: authentication, then jsonrpsee's service (HTTP POST or a
//! WebSocket upgrade).
//!
//! Credentials: `Authorization: Bearer <rpc_password or access key>`, or HTTP Basic with
//! either as the password (any user name). They are checked by mmrpc's [`Authenticator`], so the
//! constant-time compare, the per-IP failure count (shared with mmrpc) and the decaying ban are
//! the same; `rpc_local_only` is checked first, as on mmrpc. A refused request is answered
//! before any JSON-RPC parsing with a JSON-RPC error object (id `null`): HTTP 401 with
//! `WWW-Authenticate` when the credentials are missing or wrong, 403 when the caller is banned
//! or not local.
//!
//! [`Authenticator`]: crate::transport::auth::Authenticator

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::errors::error_response_text;
use super::{is_notification_ack, JsonRpcSurface};
use crate::rpc::error::{MmError, WireError};
use crate::transport::auth::{check_local_only, AuthError, Authenticator};

/// Answers one request to `/jsonrpc` from `peer`.
pub async fn handle(
    surface: &JsonRpcSurface,
    auth: &Authenticator,
    local_only: bool,
    peer: IpAddr,
    mut request: Request,
) -> Response {
    let allowed = check_local_only(local_only, peer)
        .and_then(|()| auth.authenticate(peer, credential(request.headers()).as_deref()));
    let caller = match allowed {
        Ok(caller) => caller,
        Err(refused) => return refusal(refused),
    };
    // jsonrpsee hands the HTTP request's extensions to every method call it carries (every
    // call of a WebSocket connection too), where the module reads who is calling.
    request.extensions_mut().insert(caller);
    let upgrade = request.headers().contains_key(header::UPGRADE);
    let response = match surface.service().oneshot(request).await {
        Ok(response) => response,
        Err(e) => {
            tracing::warn!("JSON-RPC service failed: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if upgrade || response.status() != StatusCode::OK {
        return response.map(Body::new);
    }
    // An HTTP answer is a whole JSON text already in memory; read it to drop the `null` that
    // jsonrpsee answers a notification with.
    let (mut parts, body) = response.into_parts();
    // The body may shrink below; hyper recomputes the length.
    parts.headers.remove(header::CONTENT_LENGTH);
    match body.collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let body = if is_notification_ack(&bytes) {
                Body::empty()
            } else {
                Body::from(bytes)
            };
            Response::from_parts(parts, body)
        }
        Err(e) => {
            tracing::warn!("JSON-RPC answer could not be read: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The password sent in `Authorization`, if any. A header in another scheme, or one that does
/// not decode, is returned as a wrong password (an empty one), so it counts as a failed attempt.
fn credential(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?;
    let Ok(text) = value.to_str() else {
        return Some(String::new());
    };
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(token.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        // `user:password`; the user name is not checked.
        let password = decoded.split_once(':').map_or("", |(_, password)| password);
        return Some(password.to_string());
    }
    Some(String::new())
}

fn refusal(refused: MmError<AuthError>) -> Response {
    let unauthenticated = matches!(
        refused.get_inner(),
        AuthError::UserpassIsNotSet | AuthError::UserpassIsInvalid(_)
    );
    let wire = WireError::from(refused);
    let body = error_response_text(&wire);
    let mut response = (
        if unauthenticated {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        },
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response();
    if unauthenticated {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="mmln", charset="UTF-8""#),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn bearer_and_basic_carry_the_password() {
        assert_eq!(credential(&HeaderMap::new()), None);
        assert_eq!(
            credential(&headers("Bearer s3cret")).as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            credential(&headers("bearer  s3cret ")).as_deref(),
            Some("s3cret")
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("anyone:pa:ss");
        assert_eq!(
            credential(&headers(&format!("Basic {basic}"))).as_deref(),
            Some("pa:ss")
        );
    }

    #[test]
    fn other_headers_are_wrong_passwords() {
        assert_eq!(credential(&headers("Digest x")).as_deref(), Some(""));
        assert_eq!(credential(&headers("Basic !!!")).as_deref(), Some(""));
        assert_eq!(credential(&headers("s3cret")).as_deref(), Some(""));
    }
}
