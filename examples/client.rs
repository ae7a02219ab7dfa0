//! A small mmrpc 2.0 client for mmln, written to be read: the envelope, typed replies, and error
//! replies as a typed error. Against `mmln sandbox` it asks the daemon's version, has peer1
//! write an invoice, pays it from your node, waits for the outcome, and pages through the list of
//! payments.
//!
//! ```text
//! MMLN_USERPASS=... cargo run --example client              # peer1 (port 7784) writes the invoice
//! MMLN_USERPASS=... cargo run --example client -- lnbcrt1...  # or pay this invoice
//! ```
//!
//! Environment: `MMLN_USERPASS` (required), `MMLN_HOST` (127.0.0.1), `MMLN_PORT` (7783, the
//! payer), `MMLN_PAYEE_PORT` (7784, sandbox peer1, the invoice writer), `MMLN_COIN`
//! (tBTC-lightning).

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What can go wrong with one call.
#[derive(Debug, thiserror::Error)]
enum ClientError {
    /// The daemon could not be reached, or its reply was not JSON.
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// The daemon answered with an mmrpc error. `error_type` is stable, match on it; `error` is
    /// for people; `error_path` says where in the daemon it arose.
    #[error("{error_type} (HTTP {status}): {error} [at {error_path}]")]
    Rpc {
        status: StatusCode,
        error_type: String,
        error: String,
        error_path: String,
        error_data: Option<Value>,
    },
    /// A reply in neither the success nor the error shape.
    #[error("unexpected reply (HTTP {status}): {body}")]
    InvalidReply { status: StatusCode, body: Value },
}

/// One daemon's RPC endpoint.
struct Client {
    http: reqwest::Client,
    url: String,
    userpass: String,
}

/// The request envelope. `id` is echoed back; the daemon does not need it to be unique.
#[derive(Serialize)]
struct Request<'a, P> {
    mmrpc: &'static str,
    userpass: &'a str,
    method: &'a str,
    params: P,
    id: u64,
}

impl Client {
    fn new(host: &str, port: u16, userpass: String) -> Self {
        Client {
            http: reqwest::Client::new(),
            url: format!("http://{host}:{port}/"),
            userpass,
        }
    }

    /// Calls `method` with `params` and decodes its `result` as `R`.
    async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, ClientError> {
        let request = Request {
            mmrpc: "2.0",
            userpass: &self.userpass,
            method,
            params,
            id: 1,
        };
        let reply = self.http.post(&self.url).json(&request).send().await?;
        let status = reply.status();
        let mut body: Value = reply.json().await?;
        // Success: {"mmrpc":"2.0","result":...,"id":1}, HTTP 200.
        if status.is_success() {
            if let Some(result) = body.get_mut("result") {
                return serde_json::from_value(result.take())
                    .map_err(|_| ClientError::InvalidReply { status, body });
            }
        }
        // Error: {"mmrpc":"2.0","error":"...","error_path":"...","error_trace":"...",
        //         "error_type":"...","error_data":...,"id":1} with the error's HTTP status.
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        match (text("error_type"), text("error")) {
            (Some(error_type), Some(error)) => Err(ClientError::Rpc {
                status,
                error_type,
                error,
                error_path: text("error_path").unwrap_or_default(),
                error_data: body.get("error_data").cloned(),
            }),
            _ => Err(ClientError::InvalidReply { status, body }),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Version {
    result: String,
    datetime: String,
}

#[derive(Debug, Deserialize)]
struct Invoice {
    payment_hash: String,
    invoice: String,
}

#[derive(Debug, Deserialize)]
struct Sent {
    payment_hash: String,
    /// Present when the send waited: `succeeded`, `failed`, or `pending` if the wait ran out.
    status: Option<String>,
}

/// The fields of a payment this example prints; the reply has more (see rpc-spec).
#[derive(Debug, Deserialize)]
struct Payment {
    payment_hash: String,
    status: String,
    amount_in_msat: Option<u64>,
    fee_paid_msat: Option<u64>,
    description: String,
}

#[derive(Debug, Deserialize)]
struct PaymentDetails {
    payment_details: Payment,
}

#[derive(Debug, Deserialize)]
struct PaymentsPage {
    payments: Vec<Payment>,
    skipped: u64,
    total: u64,
    total_pages: u64,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// A port from the environment, or `default`.
fn port(name: &str, default: u16) -> Result<u16, String> {
    let text = env_or(name, &default.to_string());
    text.parse()
        .map_err(|_| format!("{name} is not a port: {text}"))
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let userpass = std::env::var("MMLN_USERPASS")
        .map_err(|_| "set MMLN_USERPASS to the daemon's rpc_password (mmln sandbox prints it)")?;
    let host = env_or("MMLN_HOST", "127.0.0.1");
    let coin = env_or("MMLN_COIN", "tBTC-lightning");
    let payer = Client::new(&host, port("MMLN_PORT", 7783)?, userpass.clone());

    // `version` takes no params and no coin.
    let version: Version = payer.call("version", Value::Null).await?;
    println!(
        "mmln {} (RPC up since {})",
        version.result, version.datetime
    );

    // The invoice: from the command line, or written by the payee daemon.
    let invoice = match std::env::args().nth(1) {
        Some(invoice) => invoice,
        None => {
            let payee = Client::new(&host, port("MMLN_PAYEE_PORT", 7784)?, userpass);
            let params =
                json!({"coin": coin, "description": "client example", "amount_in_msat": 21_000});
            let written: Invoice = payee
                .call("lightning::payments::generate_invoice", params)
                .await?;
            println!(
                "invoice {} (hash {})",
                written.invoice, written.payment_hash
            );
            written.invoice
        }
    };

    // With `wait_timeout_secs`, send_payment returns once the payment succeeded or failed
    // (without it, as soon as the payment is on its way).
    let params = json!({"coin": coin, "payment": {"type": "invoice", "invoice": invoice},
                        "wait_timeout_secs": 60});
    let sent: Sent = match payer
        .call("lightning::payments::send_payment", params)
        .await
    {
        Ok(sent) => sent,
        // A typed error lets a client act on what went wrong.
        Err(ClientError::Rpc {
            error_type, error, ..
        }) if error_type == "InvalidRequest" => {
            return Err(format!("the daemon refused the invoice: {error}").into());
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "sent {}: {}",
        sent.payment_hash,
        sent.status.as_deref().unwrap_or("pending")
    );

    // The payment as the ledger keeps it.
    let params = json!({"coin": coin, "payment_hash": sent.payment_hash});
    let details: PaymentDetails = payer
        .call("lightning::payments::get_payment_details", params)
        .await?;
    let payment = details.payment_details;
    println!(
        "payment {}: {}, {} msat, fee {} msat",
        payment.payment_hash,
        payment.status,
        payment.amount_in_msat.unwrap_or_default(),
        payment.fee_paid_msat.unwrap_or_default()
    );

    // Page through every payment, three at a time, by page number.
    let mut page_number = 1;
    loop {
        let params =
            json!({"coin": coin, "limit": 3, "paging_options": {"PageNumber": page_number}});
        let page: PaymentsPage = payer
            .call("lightning::payments::list_payments_by_filter", params)
            .await?;
        println!(
            "page {page_number}/{} ({} payments in all, {} before this page)",
            page.total_pages, page.total, page.skipped
        );
        for p in &page.payments {
            let amount = p.amount_in_msat.unwrap_or_default();
            println!(
                "  {} {:<9} {amount:>8} msat {:?}",
                p.payment_hash, p.status, p.description
            );
        }
        if page_number >= page.total_pages {
            break;
        }
        page_number += 1;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
