#!/usr/bin/env python3
"""A console socket as containerd's shim has one: listen on a unix socket,
receive the pty master (SCM_RIGHTS), type INPUT into it and copy what comes
back to OUTPUT until the terminal closes or TIMEOUT seconds pass.

usage: console_receiver.py SOCKET INPUT OUTPUT [TIMEOUT]
INPUT may use \\n escapes. Prints "ready" on stdout once it listens.
"""
import array
import os
import select
import socket
import sys
import time


def main():
    path, text, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    text = text.encode().decode("unicode_escape").encode()
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("ready", flush=True)
    srv.settimeout(timeout)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        sys.exit("no fd received")
    master = fds[0]
    with open(out_path, "wb") as out:
        out.write(b"name=" + msg + b"\n")
        out.flush()
        # Type only once the shell has shown its prompt (or after 2 s), and
        # answer busybox ash's cursor-position query (ESC[6n) as a terminal
        # would: under load, input typed before that is read by the query.
        typed = False
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not typed and time.monotonic() - started > 2:
                os.write(master, text)
                typed = True
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                break  # EIO: nothing holds the terminal any more
            if not data:
                break
            out.write(data)
            out.flush()
            if b"\x1b[6n" in data:
                os.write(master, b"\x1b[1;1R")
            if not typed and (b"# " in data or b"$ " in data):
                os.write(master, text)
                typed = True
    os.unlink(path)


if __name__ == "__main__":
    main()
