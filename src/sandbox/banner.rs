//! What `mmln sandbox` prints once the network is ready: where everything is, and four curl
//! commands that work as pasted (invoice + pay, keysend with a bLIP-10 record, list payments,
//! BOLT 12 offer + pay).

use std::fmt::Write;

use super::network::{Role, CHANNEL_SAT};
use super::SandboxHandle;

/// The line scripts wait for before using the sandbox (`scripts/sandbox-smoke.sh` does).
pub const READY_LINE_PREFIX: &str = "mmln sandbox ready";

/// The bLIP-10 (Podcasting 2.0) custom record type.
pub const BLIP10_RECORD: u64 = 7_629_169;

/// The whole banner.
pub fn render(sandbox: &SandboxHandle) -> String {
    let mut out = String::new();
    let coin = sandbox.daemon(Role::User).config().coin_ticker();
    let _ = writeln!(
        out,
        "\n{READY_LINE_PREFIX} in {:.1} s (regtest, for development only)\n",
        sandbox.startup_time().as_secs_f64()
    );
    let password_note = if sandbox.password_generated() {
        format!(
            "  (generated; kept in {})",
            sandbox
                .data_dir()
                .join(super::password::PASSWORD_FILE)
                .display()
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  userpass:  {}{password_note}",
        sandbox.rpc_password()
    );
    let dir_note = if sandbox.is_temporary() {
        "  (temporary: deleted on exit; use --data-dir to keep a sandbox)"
    } else {
        "  (kept: restart with the same --data-dir to reuse it)"
    };
    let _ = writeln!(
        out,
        "  data dir:  {}{dir_note}",
        sandbox.data_dir().display()
    );
    let _ = writeln!(out, "  coin:      {coin}");
    let _ = writeln!(
        out,
        "  chain:     {} (user {}, password {})",
        sandbox.chain().url(),
        sandbox.chain().user(),
        sandbox.chain().password()
    );
    for role in Role::ALL {
        let label = match role {
            Role::User => "your node",
            Role::Peer1 => "peer1",
            Role::Peer2 => "peer2",
        };
        let p2p = sandbox
            .p2p_addr(role)
            .map(|a| a.to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {label:<10} rpc http://{}  node id {}  p2p {p2p}",
            sandbox.rpc_addr(role),
            sandbox.node_id(role)
        );
    }
    let user = sandbox.daemon(Role::User);
    let socket = user
        .rpc_socket_path()
        .map(|p| format!(", unix socket {}", p.display()))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  json-rpc:  your node: http://{addr}/jsonrpc and ws://{addr}/jsonrpc (Authorization: Bearer <userpass>){socket}",
        addr = user.rpc_addr()
    );
    let _ = writeln!(
        out,
        "  channels:  you -> peer1, peer2 -> you, peer1 -> peer2 ({CHANNEL_SAT} sat each)"
    );
    let _ = writeln!(
        out,
        "  mining:    mempool transactions are mined within a second; more blocks: method sandbox::mine"
    );
    out.push_str("\nTry:\n");
    for (title, command) in curl_commands(sandbox) {
        let _ = writeln!(out, "  # {title}\n  {command}\n");
    }
    out.push_str("Ctrl-C stops the sandbox.\n");
    out
}

/// The four commands, titled. `scripts/sandbox-smoke.sh` runs the first as printed.
pub fn curl_commands(sandbox: &SandboxHandle) -> Vec<(&'static str, String)> {
    let coin = sandbox.daemon(Role::User).config().coin_ticker();
    let password = sandbox.rpc_password();
    let user = format!("http://{}", sandbox.rpc_addr(Role::User));
    let peer1 = format!("http://{}", sandbox.rpc_addr(Role::Peer1));
    let peer1_id = sandbox.node_id(Role::Peer1);
    let envelope = |method: &str, params: &str| {
        format!(
            r#"{{"mmrpc":"2.0","userpass":"{password}","method":"{method}","params":{params}}}"#
        )
    };

    let invoice = envelope(
        "lightning::payments::generate_invoice",
        &format!(r#"{{"coin":"{coin}","description":"sandbox coffee","amount_in_msat":10000}}"#),
    );
    // The invoice is spliced into the JSON with shell quoting: '...'"$INVOICE"'...'.
    let pay = envelope(
        "lightning::payments::send_payment",
        &format!(r#"{{"coin":"{coin}","payment":{{"type":"invoice","invoice":"'"$INVOICE"'"}}}}"#),
    );
    let invoice_and_pay = format!(
        "INVOICE=$(curl -s {peer1} --data '{invoice}' | sed -nE 's/.*\"invoice\": *\"([^\"]+)\".*/\\1/p') && \
         curl -s {user} --data '{pay}'"
    );

    let blip10 = r#"{"action":"stream","podcast":"Sandbox FM","episode":"Episode 1","app_name":"curl","value_msat_total":5000}"#;
    let keysend = envelope(
        "lightning::payments::send_payment",
        &format!(
            r#"{{"coin":"{coin}","payment":{{"type":"keysend","destination":"{peer1_id}","amount_in_msat":5000,"expiry":40,"custom_records":{{"{BLIP10_RECORD}":{{"json":{blip10}}}}}}}}}"#
        ),
    );
    let list = envelope(
        "lightning::payments::list_payments_by_filter",
        &format!(r#"{{"coin":"{coin}"}}"#),
    );
    // BOLT 12: the sandbox's channels are public and announced, so the offer's blinded paths and
    // the invoice's onion-message reply reach between any two of its nodes.
    let offer = envelope(
        "lightning::offers::create_offer",
        &format!(r#"{{"coin":"{coin}","description":"sandbox tip jar","amount_msat":20000}}"#),
    );
    let pay_offer = envelope(
        "lightning::payments::send_payment",
        &format!(
            r#"{{"coin":"{coin}","payment":{{"type":"offer","offer":"'"$OFFER"'","payer_note":"from curl"}},"wait_timeout_secs":30}}"#
        ),
    );
    let offer_and_pay = format!(
        "OFFER=$(curl -s {peer1} --data '{offer}' | sed -nE 's/.*\"offer\": *\"([^\"]+)\".*/\\1/p') && \
         curl -s {user} --data '{pay_offer}'"
    );
    vec![
        (
            "1. peer1 creates an invoice, your node pays it",
            invoice_and_pay,
        ),
        (
            "2. keysend 5 sat to peer1 with a bLIP-10 (7629169) podcast record",
            format!("curl -s {user} --data '{keysend}'"),
        ),
        (
            "3. list your node's payments",
            format!("curl -s {user} --data '{list}'"),
        ),
        (
            "4. peer1 issues a BOLT 12 offer (reusable), your node pays it with a note",
            offer_and_pay,
        ),
    ]
}
