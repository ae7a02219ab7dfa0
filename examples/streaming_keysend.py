#!/usr/bin/env python3
"""Stream sats to a podcast the way a Podcasting 2.0 app does: one keysend every few seconds,
each carrying a bLIP-10 record (type 7629169) that says what is playing and where.

Usage:
  MMLN_USERPASS=... examples/streaming_keysend.py DESTINATION_PUBKEY [options]
  MMLN_USERPASS=... examples/streaming_keysend.py --value-block FILE [options]

Options:
  --value-block FILE  a Podcasting 2.0 value block as JSON (PodcastIndex's `value` object:
                    {"model": {...}, "destinations": [{"name", "address", "split", "fee"?,
                    "customKey"?, "customValue"?}]}, or just the destinations list). Each
                    interval then pays the whole block with ONE send_value_split call, under an
                    idempotency key of its own (run id + interval number): a call that times out
                    or loses its connection is retried with the same key, which pays nobody
                    twice and re-pays only the recipients whose payment failed.
  --amount-msat N   paid per interval (default 5000, i.e. 5 sat); with a value block, the
                    total split among its recipients
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


def load_value_block(path):
    """The recipients of a Podcasting 2.0 value block file, as send_value_split takes them."""
    with open(path, encoding="utf-8") as f:
        block = json.load(f)
    if isinstance(block, dict):
        block = block.get("value", block)
        destinations = block.get("destinations", block.get("recipients"))
    else:
        destinations = block
    if not isinstance(destinations, list) or not destinations:
        raise ValueError(f"{path}: no destinations in the value block")
    recipients = []
    for d in destinations:
        recipient = {
            "destination": d.get("address", d.get("destination")),
            "split": int(d.get("split", 0)),
            "fee": d.get("fee") in (True, "true", "1", 1),
        }
        if d.get("name"):
            recipient["name"] = d["name"]
        # A recipient hosted by a custodial wallet names it in a record (LNPay, Alby: 696969).
        if d.get("customKey") and d.get("customValue") is not None:
            recipient["custom_records"] = {str(d["customKey"]): str(d["customValue"])}
        recipients.append(recipient)
    return recipients


def split_interval(args, coin, ts, recipients, key):
    """Pays one interval to the whole value block; retries once with the same key."""
    params = {
        "coin": coin,
        "total_msat": args.amount_msat,
        "recipients": recipients,
        "custom_records": {BLIP10_RECORD: {"json": blip10_record(args, ts)}},
        "idempotency_key": key,
        "wait_timeout_secs": max(1, int(args.interval)),
    }
    try:
        return call("lightning::payments::send_value_split", params)
    except (urllib.error.URLError, OSError, TimeoutError):
        # The daemon may have recorded and sent it: the key makes the retry safe.
        return call("lightning::payments::send_value_split", params)


def stream_value_block(args, coin):
    recipients = load_value_block(args.value_block)
    run_id = f"{int(time.time())}-{os.getpid()}"
    tally = {"succeeded": 0, "failed": 0, "pending": 0, "skipped": 0}
    paid_msat = 0
    sent = 0
    ts = 0
    try:
        while args.count == 0 or sent < args.count:
            sent += 1
            key = f"{run_id}-{sent}"
            result = split_interval(args, coin, int(ts), recipients, key)
            parts = []
            for r in result["recipients"]:
                tally[r["status"] if r["status"] in tally else "pending"] += 1
                if r["status"] == "succeeded":
                    paid_msat += r["amount_msat"]
                parts.append(f"{r.get('name', r['destination'][:10])}={r['amount_msat']}:{r['status']}")
            print(f"#{sent} ts={int(ts)}s key={key} {' '.join(parts)}", flush=True)
            time.sleep(args.interval)
            ts += args.interval
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    except (RpcError, urllib.error.URLError, OSError, ValueError) as e:
        print(f"stream stopped: {e}", file=sys.stderr)
        return 1
    print(
        f"{sent} intervals: {tally['succeeded']} recipient payments succeeded, "
        f"{tally['failed']} failed, {tally['pending']} pending, {tally['skipped']} skipped; "
        f"{paid_msat} msat streamed"
    )
    return 0 if tally["failed"] == 0 else 1


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
    parser.add_argument(
        "destination", nargs="?", help="the podcast's node id (66 hex characters)"
    )
    parser.add_argument("--value-block", metavar="FILE", help="a Podcasting 2.0 value block (JSON)")
    parser.add_argument("--amount-msat", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--podcast", default="Sandbox FM")
    parser.add_argument("--episode", default="Episode 1")
    parser.add_argument("--app-name", default="mmln streaming example")
    args = parser.parse_args()
    if "MMLN_USERPASS" not in os.environ:
        parser.error("set MMLN_USERPASS to the daemon's rpc_password (mmln sandbox prints it)")
    if (args.destination is None) == (args.value_block is None):
        parser.error("give either DESTINATION_PUBKEY or --value-block FILE")
    return args


def main():
    args = parse_args()
    coin = os.environ.get("MMLN_COIN", "tBTC-lightning")
    if args.value_block:
        return stream_value_block(args, coin)
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
