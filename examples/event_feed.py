#!/usr/bin/env python3
"""Prints mmln's event feed live, over a WebSocket subscription, and never misses an event.

    MMLN_USERPASS=... examples/event_feed.py [--from INDEX] [--kinds payment,channel]
                                             [--cursor-file PATH] [--count N]

It opens ws://HOST:PORT/jsonrpc (header `Authorization: Bearer <rpc_password>`), calls
`subscribe_events {from_index, kinds}`, and prints each `event` notification: first the past
from the cursor, then new events as they commit. The cursor is the last event_index printed
plus one; with --cursor-file it is saved after every event and read at start, so a restarted
script continues exactly where it stopped. When the daemon ends the subscription (its last
notification carries `error` with `resume_from`) or the connection drops (a daemon restart),
it subscribes again from the cursor, after a short pause.

--count N exits after N events (used by scripts/sandbox-smoke.sh). Environment: MMLN_USERPASS
(required), MMLN_HOST (127.0.0.1), MMLN_PORT (7783). Python standard library only.
"""

import argparse
import base64
import json
import os
import socket
import struct
import sys
import time


class WebSocket:
    """The client side of RFC 6455, as much as a JSON-RPC feed needs: text frames, pings."""

    def __init__(self, host, port, password):
        self.sock = socket.create_connection((host, port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /jsonrpc HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {password}\r\n\r\n"
            ).encode()
        )
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # byte by byte: no frame byte is consumed
            byte = self.sock.recv(1)
            if not byte:
                raise ConnectionError("closed during the upgrade")
            head += byte
        status = head.split(b" ", 2)[1]
        if status != b"101":
            raise ConnectionError(f"WebSocket upgrade refused: HTTP {status.decode()}")
        self.sock.settimeout(None)  # a quiet feed is not an error

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the connection closed")
            data += chunk
        return data

    def _frame(self, opcode, payload):
        if len(payload) < 126:
            header = bytes([0x80 | opcode, 0x80 | len(payload)])
        elif len(payload) < 65536:
            header = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)  # a client masks every frame
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_json(self, value):
        self._frame(0x1, json.dumps(value).encode())

    def receive_json(self):
        message = b""
        while True:
            first, second = self._exact(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack(">H", self._exact(2))
            elif length == 127:
                (length,) = struct.unpack(">Q", self._exact(8))
            data = self._exact(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the daemon closed the connection")
            if opcode == 0x9:
                self._frame(0xA, data)  # answer pings, or the daemon drops us
                continue
            if opcode in (0x1, 0x0):
                message += data
                if first & 0x80:  # the last fragment
                    return json.loads(message)

    def close(self):
        self.sock.close()


def load_cursor(path, default):
    if path and os.path.exists(path):
        with open(path) as f:
            return int(f.read().strip() or default)
    return default


def save_cursor(path, cursor):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(cursor))
        os.replace(tmp, path)


def follow(host, port, password, cursor, kinds, cursor_file, count):
    """Subscribes from `cursor` and prints events until the subscription ends; returns the new
    cursor and how many events were printed, or raises when the connection fails."""
    ws = WebSocket(host, port, password)
    printed = 0
    try:
        params = {"from_index": cursor}
        if kinds:
            params["kinds"] = kinds
        ws.send_json({"jsonrpc": "2.0", "id": 1, "method": "subscribe_events", "params": params})
        while True:
            message = ws.receive_json()
            if message.get("id") == 1:
                if "error" in message:
                    error = message["error"]
                    kind = (error.get("data") or {}).get("error_type")
                    raise SystemExit(f"subscribe_events refused ({kind}): {error['message']}")
                print(f"# subscribed from {cursor} (subscription {message['result']})", flush=True)
                continue
            if message.get("method") != "event":
                continue
            note = message["params"]
            if "error" in note:  # the daemon ended the subscription: resume where it says
                closed = note["error"]
                print(f"# closed ({closed['error_type']}): {closed['error']}", flush=True)
                return closed["resume_from"], printed
            event = note["result"]
            print(json.dumps(event), flush=True)
            cursor = event["event_index"] + 1
            save_cursor(cursor_file, cursor)
            printed += 1
            if count and printed >= count:
                return cursor, printed
    finally:
        ws.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="from_index", type=int, default=None)
    parser.add_argument("--kinds", default="")
    parser.add_argument("--cursor-file", default=None)
    parser.add_argument("--count", type=int, default=0)
    args = parser.parse_args()
    password = os.environ.get("MMLN_USERPASS")
    if not password:
        print(__doc__, file=sys.stderr)
        return 2
    host = os.environ.get("MMLN_HOST", "127.0.0.1")
    port = int(os.environ.get("MMLN_PORT", "7783"))
    kinds = [k for k in args.kinds.split(",") if k]
    start = args.from_index if args.from_index is not None else 0
    cursor = load_cursor(args.cursor_file, start)
    total = 0
    while True:
        try:
            cursor, printed = follow(
                host, port, password, cursor, kinds, args.cursor_file,
                args.count - total if args.count else 0,
            )
            total += printed
            if args.count and total >= args.count:
                return 0
        except (ConnectionError, OSError) as e:
            print(f"# {e}; resubscribing from {cursor} in 2 s", file=sys.stderr, flush=True)
            time.sleep(2)
        # A cursor kept in memory only: a closed subscription continues from what the daemon
        # said, a dropped connection from the last event printed.
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
