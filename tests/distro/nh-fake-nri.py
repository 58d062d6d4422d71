#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A fake NRI runtime socket for the Debian 13 test bed (tests/distro/README.md,
# test nri-garbage): it accepts a plugin's connections and answers each with
# something broken, in turn:
#   garbage     64 random bytes
#   truncated   a multiplexer frame header (connection 1, 1000 bytes) and
#               only 10 bytes of its payload, then the socket is closed
#   short-hdr   4 bytes of a frame header, then closed
#   huge-frame  a frame header announcing 0xffffffff bytes, then 16 bytes
#   bad-conn    a well-formed frame for connection 7 (not 1 or 2)
#   huge-ttrpc  a frame on connection 1 holding a ttrpc header whose message
#               length is 0x7fffffff
#   bad-proto   a ttrpc request (stream 1, type 1) on connection 1 whose
#               protobuf is not one (0xff bytes)
#   eof         closed at once
# The NRI multiplexer's frame: connection id and payload length, both 32-bit
# big-endian; ttrpc's header: length (32), stream id (32), type, flags.
# Each connection is kept open at most --hold seconds after the bytes are
# sent (what the plugin sends is read and counted), then closed.  One line
# per connection on stdout: "conn N KIND received=BYTES closed_by=plugin|us".
#
#   nh-fake-nri.py --socket PATH [--seconds N] [--hold S]
import argparse
import os
import select
import socket
import struct
import sys
import time


def frame(conn, payload, length=None):
    return struct.pack(">II", conn, len(payload) if length is None else length) + payload


def ttrpc(length, stream, mtype, payload=b""):
    return struct.pack(">IIBB", length, stream, mtype, 0) + payload


KINDS = [
    ("garbage", lambda: os.urandom(64), False),
    ("truncated", lambda: frame(1, b"\0" * 10, 1000), True),
    ("short-hdr", lambda: b"\0\0\0\1", True),
    ("huge-frame", lambda: frame(1, b"\1" * 16, 0xFFFFFFFF), False),
    ("bad-conn", lambda: frame(7, b"\0" * 16), False),
    ("huge-ttrpc", lambda: frame(1, ttrpc(0x7FFFFFFF, 1, 1, b"\0" * 6)), False),
    ("bad-proto", lambda: frame(1, ttrpc(8, 1, 1, b"\xff" * 8)), False),
    ("eof", lambda: b"", True),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--hold", type=float, default=2)
    a = p.parse_args()
    try:
        os.unlink(a.socket)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket)
    srv.listen(4)
    end = time.monotonic() + a.seconds
    n = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([srv], [], [], left)
        if not r:
            break
        c, _ = srv.accept()
        kind, make, close_now = KINDS[n % len(KINDS)]
        received, closed_by = 0, "us"
        try:
            data = make()
            if data:
                c.sendall(data)
            if not close_now:
                hold = time.monotonic() + a.hold
                while time.monotonic() < hold:
                    r, _, _ = select.select([c], [], [], max(0, hold - time.monotonic()))
                    if not r:
                        continue
                    got = c.recv(65536)
                    if not got:
                        closed_by = "plugin"
                        break
                    received += len(got)
        except OSError as e:
            closed_by = "plugin (%s)" % e.strerror
        c.close()
        print("conn %d %s received=%d closed_by=%s" % (n, kind, received, closed_by), flush=True)
        n += 1
    srv.close()
    os.unlink(a.socket)
    print("connections %d" % n, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
