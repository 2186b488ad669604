#!/usr/bin/env python3
"""bench/scale_wait.py PORT0 COUNT TIMEOUT_S [VERSION]: wait until every port
PORT0 .. PORT0+COUNT-1 on 127.0.0.1 answers GET / with 200 (and, with
VERSION, a body naming it); print the milliseconds it took. Exit 1 and name
the ports still silent at the timeout. Up to 64 connections are in flight at
once, so 1,000 services are polled every few ms, not one curl at a time."""
import selectors
import socket
import sys
import time


def main():
    port0, count, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    want = ('"version":"%s"' % sys.argv[4]).encode() if len(sys.argv) > 4 else None
    start = time.monotonic()
    # (port, not before): a refused port is tried again 20 ms later, not in
    # a busy loop that would take CPU from the apps starting up.
    pending = [(p, 0.0) for p in range(port0, port0 + count)]
    sel = selectors.DefaultSelector()
    inflight = {}
    while pending or inflight:
        if time.monotonic() - start > timeout:
            left = sorted([p for p, _ in pending] + [p for p, _ in inflight.values()])
            print("scale_wait: %d ports silent after %.0f s: %s" %
                  (len(left), timeout, " ".join(map(str, left[:20]))), file=sys.stderr)
            return 1
        now = time.monotonic()
        ready = [i for i, (_, t) in enumerate(pending) if t <= now][:64 - len(inflight)]
        for i in reversed(ready):
            port = pending.pop(i)[0]
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
            s.connect_ex(("127.0.0.1", port))
            inflight[s.fileno()] = (port, s)
            sel.register(s, selectors.EVENT_WRITE, [b"", False, time.monotonic()])
        for key, ev in sel.select(timeout=0.05):
            s, data = key.fileobj, key.data
            port = inflight[s.fileno()][0]
            done = ok = False
            try:
                if not data[1]:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        done = True
                    else:
                        s.send(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                        data[1] = True
                        sel.modify(s, selectors.EVENT_READ, data)
                else:
                    chunk = s.recv(4096)
                    data[0] += chunk
                    if not chunk:
                        done = True
                        ok = data[0].startswith(b"HTTP/1.1 200") or data[0].startswith(b"HTTP/1.0 200")
                        ok = ok and (want is None or want in data[0])
            except OSError:
                done = True
            if done:
                sel.unregister(s)
                del inflight[s.fileno()]
                s.close()
                if not ok:
                    pending.append((port, time.monotonic() + 0.02))
        # A connection that hangs (an accept queue nobody reads) is retried.
        now = time.monotonic()
        for fd, (port, s) in list(inflight.items()):
            if now - sel.get_key(s).data[2] > 1.0:
                sel.unregister(s)
                del inflight[fd]
                s.close()
                pending.append((port, now))
        if pending and not inflight:
            time.sleep(0.005)
    print("%.0f" % ((time.monotonic() - start) * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
