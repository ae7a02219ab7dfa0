#!/usr/bin/env python3
"""A two-party atomic swap's Lightning leg on the sandbox, step by step, with a hold invoice.

The taker wants the maker's coins on another chain and pays for them over Lightning:
  1. the taker makes a secret (the preimage) and tells the maker only its SHA-256 (the hash);
  2. the maker issues a hold invoice for that hash (generate_invoice with payment_hash);
  3. the taker pays it: the maker's node holds the payment (status "held"), it cannot claim it
     without the secret, and the taker's payment stays pending;
  4. "the other leg": the maker locks its coins on the other chain to the same hash; the taker
     redeems them there, which reveals the secret on that chain (simulated here: the taker hands
     the preimage over);
  5. the maker settles the hold invoice with the secret (settle_invoice): both sides succeed.
With --cancel, the other leg "fails" at step 4 and the maker cancels instead: the taker's
payment fails and its money returns.

Usage:
  MMLN_USERPASS=... examples/swap_walkthrough.py [--amount-msat N] [--cancel]

Environment: MMLN_USERPASS (required), MMLN_HOST (127.0.0.1), MMLN_TAKER_PORT (7783, your
sandbox node), MMLN_MAKER_PORT (7784, peer1), MMLN_COIN (tBTC-lightning). The sandbox opens
the channel you -> peer1 that this payment uses. Only the Python standard library is used.
"""

import argparse
import hashlib
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request


class RpcError(Exception):
    """An mmrpc error reply, with the fields clients match on."""

    def __init__(self, status, body):
        self.status = status
        self.error_type = body.get("error_type", "?")
        self.error = body.get("error", "")
        super().__init__(f"{self.error_type} (HTTP {status}): {self.error}")


def call(port, method, params):
    """Posts one mmrpc 2.0 request to the daemon on `port`; returns `result` or raises."""
    host = os.environ.get("MMLN_HOST", "127.0.0.1")
    params = dict(params, coin=os.environ.get("MMLN_COIN", "tBTC-lightning"))
    body = {
        "mmrpc": "2.0",
        "userpass": os.environ["MMLN_USERPASS"],
        "method": method,
        "params": params,
        "id": 1,
    }
    request = urllib.request.Request(
        f"http://{host}:{port}/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)["result"]
    except urllib.error.HTTPError as e:
        raise RpcError(e.code, json.load(e)) from None


def status(port, payment_hash):
    details = call(port, "lightning::payments::get_payment_details", {"payment_hash": payment_hash})
    return details["payment_details"]


def wait_for(port, payment_hash, wanted, timeout=60):
    """Polls until the payment on `port` has one of the `wanted` statuses; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        row = status(port, payment_hash)
        if row["status"] in wanted:
            return row
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {payment_hash} to be {wanted}: {row}")
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--amount-msat", type=int, default=100_000)
    parser.add_argument("--cancel", action="store_true", help="the other leg fails: cancel")
    args = parser.parse_args()
    if "MMLN_USERPASS" not in os.environ:
        sys.exit("set MMLN_USERPASS to the sandbox's userpass")
    taker = int(os.environ.get("MMLN_TAKER_PORT", "7783"))
    maker = int(os.environ.get("MMLN_MAKER_PORT", "7784"))

    # 1. The taker's secret; only its hash leaves the taker.
    preimage = secrets.token_bytes(32)
    payment_hash = hashlib.sha256(preimage).hexdigest()
    print(f"1. taker: secret made, hash {payment_hash}")

    # 2. The maker locks the Lightning leg to that hash.
    invoice = call(maker, "lightning::payments::generate_invoice", {
        "description": "swap: Lightning leg",
        "amount_in_msat": args.amount_msat,
        "payment_hash": payment_hash,
    })["invoice"]
    print(f"2. maker: hold invoice {invoice[:40]}...")

    # 3. The taker pays; the maker's node holds the HTLCs.
    call(taker, "lightning::payments::send_payment", {"payment": {"type": "invoice", "invoice": invoice}})
    held = wait_for(maker, payment_hash, {"held"})
    print(f"3. maker: payment held ({held['amount_in_msat']} msat); its HTLCs expire at height "
          f"{held['htlc_expiry_height']}, the claim deadline is {held['claim_deadline_height']} "
          f"(auto-cancel some blocks before); taker: {status(taker, payment_hash)['status']}")

    if args.cancel:
        # 4'. The other leg failed (e.g. the maker never locked its coins): give the money back.
        call(maker, "lightning::payments::cancel_invoice", {"payment_hash": payment_hash})
        failed = wait_for(taker, payment_hash, {"failed"})
        print(f"4. other leg failed; maker canceled. taker: failed ({failed.get('failure_reason')})")
        return

    # 4. The other leg: the taker redeems the maker's coins there, revealing the secret.
    print("4. other leg: maker locks coins to the hash; taker redeems them, revealing the secret")
    revealed = preimage.hex()

    # 5. The maker settles with the revealed secret.
    settled = call(maker, "lightning::payments::settle_invoice", {"preimage": revealed})
    print(f"5. maker: settle answered {settled['payment_details']['status']}")
    maker_row = wait_for(maker, payment_hash, {"succeeded"})
    taker_row = wait_for(taker, payment_hash, {"succeeded", "failed"})
    print(f"   maker: {maker_row['status']}; taker: {taker_row['status']}, "
          f"preimage {taker_row.get('preimage')} (proof of payment)")
    if taker_row.get("preimage") != revealed:
        sys.exit("the taker's proof of payment does not match the secret")


if __name__ == "__main__":
    try:
        main()
    except RpcError as e:
        sys.exit(str(e))
