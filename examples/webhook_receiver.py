#!/usr/bin/env python3
"""Receives mmln webhooks, checks each signature, drops duplicates, prints the events.

Usage: webhook_receiver.py [PORT] [SECRET]
  PORT    where to listen on 127.0.0.1 (default 8099)
  SECRET  the daemon's webhook_secret (default: $MMLN_WEBHOOK_SECRET, else the contents of
          ./mmln-data/webhook_secret, which the daemon creates when none is configured)

Point the daemon at it with `webhook_urls = ["http://127.0.0.1:8099/hook"]` in mmln.toml
(or `--webhook-urls http://127.0.0.1:8099/hook`), or per call with the `webhook_url` param of
generate_invoice / send_payment.

The signature scheme: header `Mmln-Signature: t=<unix seconds>,v1=<hex>` where <hex> is
HMAC-SHA256(secret, "<t>.<raw body>"). The `Mmln-Webhook-Id` header (evt_<event_index>) is the
same on every retry: a receiver that already handled an id answers 200 and does nothing.
Python standard library only.
"""

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

MAX_AGE_SECS = 24 * 3600 + 600  # the daemon retries for 24 h by default


def load_secret(arg):
    if arg:
        return arg.encode()
    if os.environ.get("MMLN_WEBHOOK_SECRET"):
        return os.environ["MMLN_WEBHOOK_SECRET"].encode()
    with open(os.path.join("mmln-data", "webhook_secret"), "rb") as f:
        return f.read().strip()


def verify(secret, header, body):
    """Returns the signed timestamp if the header is valid for body, else None."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        given = bytes.fromhex(fields["v1"])
    except (KeyError, ValueError):
        return None
    expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).digest()
    return timestamp if hmac.compare_digest(expected, given) else None


class Handler(BaseHTTPRequestHandler):
    secret = b""
    seen = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        signed_at = verify(self.secret, self.headers.get("Mmln-Signature", ""), body)
        if signed_at is None:
            self.send_response(401)
            self.end_headers()
            print("refused: bad signature", file=sys.stderr)
            return
        if abs(time.time() - signed_at) > MAX_AGE_SECS:
            self.send_response(401)
            self.end_headers()
            print("refused: signature too old (a replay?)", file=sys.stderr)
            return
        delivery_id = self.headers.get("Mmln-Webhook-Id", "")
        if delivery_id not in self.seen:
            self.seen.add(delivery_id)
            event = json.loads(body)
            e = event["event"]
            extra = ""
            if "payment" in event:
                extra = f" metadata={json.dumps(event['payment'].get('metadata'))}"
            print(f"{e['event_index']:>6} {e['kind']:<18} {e['subject']}{extra}", flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8099
    Handler.secret = load_secret(sys.argv[2] if len(sys.argv) > 2 else None)
    server = HTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{port}/hook", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
