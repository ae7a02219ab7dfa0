#!/usr/bin/env python3
"""mmln's JSON-RPC 2.0 surface with nothing but Python's standard library.

Calls lightning::nodes::get_info three ways and checks they agree:
  - HTTP POST to http://HOST:PORT/jsonrpc with `Authorization: Bearer <rpc_password>`;
  - a WebSocket on ws://HOST:PORT/jsonrpc (same header), hand-rolled in a few lines;
  - the unix socket <data_dir>/lightning-rpc (no password: its file mode guards it), where
    requests are bare JSON objects and every answer ends with "\\n\\n".

Usage:
  MMLN_USERPASS=... examples/jsonrpc_stdlib.py [SOCKET_PATH]

Environment: MMLN_USERPASS (required), MMLN_HOST (127.0.0.1), MMLN_PORT (7783). Without
SOCKET_PATH the unix socket is skipped. Exit status 0 when every surface answered the same.
"""

import base64
import json
import os
import socket
import struct
import sys
import urllib.request

TIMEOUT = 60


def request(method, params=None, request_id=1):
    # `coin` may be left out on JSON-RPC: it defaults to the daemon's lightning ticker.
    return {"jsonrpc": "2.0", "method": method, "params": params or {}, "id": request_id}


def http_call(host, port, password, body):
    req = urllib.request.Request(
        f"http://{host}:{port}/jsonrpc",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {password}"},
    )
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
        return json.load(resp)


def ws_call(host, port, password, body):
    """One call over a WebSocket (RFC 6455): upgrade, send one masked text frame, read the
    first text frame back."""
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /jsonrpc HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {password}\r\n\r\n"
        ).encode()
    )
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # byte by byte, so no frame byte is consumed
        head += sock.recv(1)
    status = head.split(b" ", 2)[1]
    if status != b"101":
        raise RuntimeError(f"WebSocket upgrade refused: HTTP {status.decode()}")

    def read_exact(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("WebSocket closed")
            data += chunk
        return data

    payload = json.dumps(body).encode()
    if len(payload) < 126:
        header = bytes([0x81, 0x80 | len(payload)])
    elif len(payload) < 65536:
        header = bytes([0x81, 0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        header = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", len(payload))
    mask = os.urandom(4)  # a client must mask every frame
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    while True:
        first, second = read_exact(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", read_exact(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", read_exact(8))
        data = read_exact(length)
        if first & 0x0F == 0x1:  # a text frame; pings and others are skipped
            sock.close()
            return json.loads(data)


def socket_call(path, body):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.connect(path)
        sock.sendall(json.dumps(body).encode())
        buffer = b""
        while b"\n\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("the socket closed before answering")
            buffer += chunk
        return json.loads(buffer.split(b"\n\n", 1)[0])


def main(argv):
    password = os.environ.get("MMLN_USERPASS")
    if not password:
        print(__doc__, file=sys.stderr)
        return 2
    host = os.environ.get("MMLN_HOST", "127.0.0.1")
    port = int(os.environ.get("MMLN_PORT", "7783"))
    body = request("lightning::nodes::get_info")

    answers = {
        "http": http_call(host, port, password, body),
        "websocket": ws_call(host, port, password, body),
    }
    if len(argv) > 1:
        answers["unix socket"] = socket_call(argv[1], body)
    for surface, answer in answers.items():
        if "error" in answer:
            error = answer["error"]
            print(f"{surface}: error {error['code']}: {error['message']}", file=sys.stderr)
            return 1
        print(f"{surface}: node {answer['result']['node_id']}")
    results = [answer["result"] for answer in answers.values()]
    if any(result != results[0] for result in results):
        print("the surfaces answered differently", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
