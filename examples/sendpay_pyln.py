#!/usr/bin/env python3
"""Core Lightning's getroute -> sendpay -> waitsendpay -> listsendpays against mmln, with
pyln-client's own methods (`rpc.getroute`, `rpc.sendpay`, ...) over the unix socket: the
code a CLN client already has, with only the socket path changed.

This script:
  1. asks the payee's node for an invoice (mmln's lightning::payments::generate_invoice);
  2. getroute from your node to the payee, with the invoice's final CLTV delta;
  3. sendpay along that route (answers at once: status pending);
  4. waitsendpay until it is complete, and prints the preimage;
  5. listsendpays for the payment hash;
  6. sends it again: an identical retry after success is complete at once (no second payment);
  7. waitsendpay on a hash never sent: CLN's error 208.

Usage (against `mmln sandbox --data-dir DIR`, whose nodes live in DIR/user, DIR/peer1, ...):
  python3 -m venv .venv && .venv/bin/pip install pyln-client
  .venv/bin/python examples/sendpay_pyln.py DIR/user/lightning-rpc DIR/peer1/lightning-rpc

Exit status 0 when every step answered as Core Lightning would, 1 otherwise.
"""

import sys

from pyln.client import LightningRpc, RpcError

AMOUNT_MSAT = 21_000
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def invoice_secret_and_cltv(bolt11):
    """The payment secret (field s) and min_final_cltv_expiry (field c, default 18) of a BOLT 11
    invoice: CLN clients get them from `decodepay`; here they are read from the bech32 data."""
    data = [BECH32.index(ch) for ch in bolt11[bolt11.rindex("1") + 1 :]][:-6]
    fields, i = data[7:-104], 0  # skip the timestamp and the signature
    secret, cltv = None, 18
    while i + 3 <= len(fields):
        tag, length = fields[i], fields[i + 1] * 32 + fields[i + 2]
        value = fields[i + 3 : i + 3 + length]
        if tag == BECH32.index("s"):
            bits = "".join(f"{v:05b}" for v in value)[:256]
            secret = f"{int(bits, 2):064x}"
        elif tag == BECH32.index("c"):
            cltv = 0
            for v in value:
                cltv = cltv * 32 + v
        i += 3 + length
    return secret, cltv


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    payer = LightningRpc(argv[1])
    payee = LightningRpc(argv[2])

    payee_id = payee.call("lightning::nodes::get_info")["node_id"]
    invoice = payee.call(
        "lightning::payments::generate_invoice",
        {"description": "sendpay with pyln-client", "amount_in_msat": AMOUNT_MSAT},
    )
    payment_hash, bolt11 = invoice["payment_hash"], invoice["invoice"]
    secret, cltv = invoice_secret_and_cltv(bolt11)

    route = payer.getroute(payee_id, AMOUNT_MSAT, riskfactor=10, cltv=cltv)["route"]
    print(f"getroute: {len(route)} hop(s), first over {route[0]['channel']}, sending {route[0]['amount_msat']} msat")

    sent = payer.sendpay(route, payment_hash, label="pyln", bolt11=bolt11, payment_secret=secret)
    print(f"sendpay: {sent['status']} ({sent['message']}), created_index {sent['created_index']}")

    done = payer.waitsendpay(payment_hash, timeout=60)
    if done["status"] != "complete":
        print(f"waitsendpay: {done}", file=sys.stderr)
        return 1
    print(f"waitsendpay: complete, preimage {done['payment_preimage']}")

    listed = payer.listsendpays(payment_hash=payment_hash)["payments"]
    print(f"listsendpays: {[(p['partid'] if 'partid' in p else 0, p['status']) for p in listed]}")

    again = payer.sendpay(route, payment_hash, payment_secret=secret)
    if again["status"] != "complete" or again["payment_preimage"] != done["payment_preimage"]:
        print(f"an identical retry should be complete at once: {again}", file=sys.stderr)
        return 1
    print("sendpay again: complete at once, nothing sent twice")

    try:
        payer.waitsendpay("00" * 32, timeout=0)
        print("waitsendpay on an unknown hash should fail", file=sys.stderr)
        return 1
    except RpcError as e:
        code = e.error["code"]
        print(f"waitsendpay on a hash never sent: error {code} ({e.error['message']})")
        if code != 208:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
