#!/usr/bin/env python3
"""Stream sats to a podcast the way a Podcasting 2.0 app does: one keysend every few seconds,
each carrying a bLIP-10 record (type 7629169) that says what is playing and where.

Usage:
  MMLN_USERPASS=... examples/streaming_keysend.py DESTINATION_PUBKEY [options]

Options:
  --amount-msat N   paid per interval (default 5000, i.e. 5 sat)
  --interval SECS   seconds between payments, also how far `ts` advances (default 5)
  --count N         stop after N payments (default 10; 0 streams until Ctrl-C)
  --podcast NAME    (default "Sandbox FM")   --episode NAME (default "Episode 1")
  --app-name NAME   (default "mmln streaming example")

Environment: MMLN_USERPASS (required), MMLN_HOST (127.0.0.1), MMLN_PORT (7783),
MMLN_COIN (tBTC-lightning).

Each line printed is one payment: its playback position, its hash, and its status once the
next interval has passed (a stream does not wait on a payment before playing on). Ctrl-C stops
and prints a summary. Only the Python standard library is used.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

BLIP10_RECORD = "7629169"


class RpcError(Exception):
    """An mmrpc error reply, with the fields clients match on."""

    def __init__(self, status, body):
        self.status = status
        self.error_type = body.get("error_type", "?")
        self.error = body.get("error", "")
        super().__init__(f"{self.error_type} (HTTP {status}): {self.error}")


def call(method, params):
    """Posts one mmrpc 2.0 request and returns its `result`, or raises RpcError."""
    host = os.environ.get("MMLN_HOST", "127.0.0.1")
    port = os.environ.get("MMLN_PORT", "7783")
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
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.load(reply)["result"]
    except urllib.error.HTTPError as e:
        # mmrpc errors come with an HTTP error status and a JSON body.
        raise RpcError(e.code, json.load(e)) from None


def blip10_record(args, ts):
    """The bLIP-10 metadata of one streamed interval."""
    return {
        "action": "stream",
        "podcast": args.podcast,
        "episode": args.episode,
        "ts": ts,
        "time": time.strftime("%H:%M:%S", time.gmtime(ts)),
        "value_msat": args.amount_msat,
        "value_msat_total": args.amount_msat,
        "app_name": args.app_name,
        "speed": "1",
    }


def keysend(args, coin, ts):
    """Sends one interval's payment; returns its payment hash."""
    payment = {
        "type": "keysend",
        "destination": args.destination,
        "amount_in_msat": args.amount_msat,
        "expiry": 40,
        "custom_records": {BLIP10_RECORD: {"json": blip10_record(args, ts)}},
    }
    result = call("lightning::payments::send_payment", {"coin": coin, "payment": payment})
    return result["payment_hash"]


def status_of(coin, payment_hash):
    details = call(
        "lightning::payments::get_payment_details",
        {"coin": coin, "payment_hash": payment_hash},
    )
    return details["payment_details"]["status"]


def parse_args():
    parser = argparse.ArgumentParser(
        description="Stream keysend payments with bLIP-10 podcast records."
    )
    parser.add_argument("destination", help="the podcast's node id (66 hex characters)")
    parser.add_argument("--amount-msat", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--podcast", default="Sandbox FM")
    parser.add_argument("--episode", default="Episode 1")
    parser.add_argument("--app-name", default="mmln streaming example")
    args = parser.parse_args()
    if "MMLN_USERPASS" not in os.environ:
        parser.error("set MMLN_USERPASS to the daemon's rpc_password (mmln sandbox prints it)")
    return args


def main():
    args = parse_args()
    coin = os.environ.get("MMLN_COIN", "tBTC-lightning")
    tally = {"succeeded": 0, "failed": 0, "pending": 0, "refused": 0}
    paid_msat = 0
    sent = 0
    ts = 0
    try:
        while args.count == 0 or sent < args.count:
            sent += 1
            try:
                payment_hash = keysend(args, coin, int(ts))
            except RpcError as e:
                payment_hash = None
                tally["refused"] += 1
                print(f"#{sent} ts={int(ts)}s refused: {e}", flush=True)
            time.sleep(args.interval)
            if payment_hash is not None:
                status = status_of(coin, payment_hash)
                tally[status if status in tally else "pending"] += 1
                if status == "succeeded":
                    paid_msat += args.amount_msat
                print(f"#{sent} ts={int(ts)}s {payment_hash} {status}", flush=True)
            ts += args.interval
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    except (RpcError, urllib.error.URLError, OSError) as e:
        print(f"stream stopped: {e}", file=sys.stderr)
        return 1
    # A Ctrl-C during an interval leaves the last payment sent but not yet looked at.
    unchecked = sent - sum(tally.values())
    print(
        f"{sent} payments: {tally['succeeded']} succeeded, {tally['failed']} failed, "
        f"{tally['pending']} pending, {tally['refused']} refused, {unchecked} not checked; "
        f"{paid_msat} msat streamed"
    )
    return 0 if tally["failed"] == 0 and tally["refused"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
