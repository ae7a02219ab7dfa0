#!/usr/bin/env python3
"""Drive mmln over its JSON-RPC unix socket with Core Lightning's own client, pyln-client.

mmln's socket (`<data_dir>/lightning-rpc`) speaks JSON-RPC 2.0 framed the way Core Lightning's
`lightning-rpc` is, so `pyln.client.LightningRpc` talks to it unchanged. Method names are
mmln's (`lightning::nodes::get_info`, ...), called with `rpc.call(name, params)`; `coin` may be
left out and defaults to the daemon's lightning ticker.

This script:
  1. calls lightning::nodes::get_info on your node;
  2. asks the payee's node for an invoice (lightning::payments::generate_invoice);
  3. pays it from your node (lightning::payments::send_payment);
  4. waits until both nodes report the payment succeeded (get_payment_details).

Usage (against `mmln sandbox --data-dir DIR`, whose nodes live in DIR/user, DIR/peer1, ...):
  python3 -m venv .venv && .venv/bin/pip install pyln-client
  .venv/bin/python examples/pyln_client.py DIR/user/lightning-rpc DIR/peer1/lightning-rpc

Exit status 0 when the payment succeeded on both sides, 1 otherwise. Errors from the daemon
arrive as pyln's RpcError, whose `.error` holds the JSON-RPC error object (code, message, and
mmln's error fields in `data`).
"""

import sys
import time

from pyln.client import LightningRpc, RpcError

AMOUNT_MSAT = 42_000
TIMEOUT_SECS = 60


def payment_status(rpc, payment_hash):
    details = rpc.call(
        "lightning::payments::get_payment_details", {"payment_hash": payment_hash}
    )
    return details["payment_details"]["status"]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    payer = LightningRpc(argv[1])
    payee = LightningRpc(argv[2])

    info = payer.call("lightning::nodes::get_info")
    print(
        f"get_info: node {info['node_id']} on {info['network']}, block {info['block_height']}, "
        f"{info['channels']['usable']} usable channels"
    )

    invoice = payee.call(
        "lightning::payments::generate_invoice",
        {"description": "paid with pyln-client", "amount_in_msat": AMOUNT_MSAT},
    )
    sent = payer.call(
        "lightning::payments::send_payment",
        {"payment": {"type": "invoice", "invoice": invoice["invoice"]}},
    )
    payment_hash = sent["payment_hash"]
    print(f"send_payment: {payment_hash} ({AMOUNT_MSAT} msat)")

    deadline = time.monotonic() + TIMEOUT_SECS
    for side, rpc in (("payer", payer), ("payee", payee)):
        while (status := payment_status(rpc, payment_hash)) != "succeeded":
            if status == "failed" or time.monotonic() > deadline:
                print(f"payment {payment_hash} is {status} on the {side}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"get_payment_details on the {side}: succeeded")

    # An error, to show its shape: the daemon's mmrpc fields arrive in `data`.
    try:
        payer.call("lightning::payments::get_payment_details", {"payment_hash": "00" * 32})
    except RpcError as e:
        print(f"expected error: code {e.error['code']}, {e.error['data']['error_type']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
