#!/usr/bin/env python3
"""A tiny seccomp notify agent for the tests: listen on PATH, receive the
containerProcessState JSON with the notify fd (SCM_RIGHTS), write what came
to OUT (JSON), then answer notifications: the first with EPERM, the next
ones with "continue". Before each answer it creates MARKER, so the test can
see the container's syscall waited for the agent."""
import array, fcntl, json, os, socket, struct, sys

NOTIF_RECV = 0xC0502100   # _IOWR('!', 0, struct seccomp_notif): 80 bytes
NOTIF_SEND = 0xC0182101   # _IOWR('!', 1, struct seccomp_notif_resp): 24 bytes
FLAG_CONTINUE = 1
EPERM = 1

path, out, marker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
msg, anc, _, _ = conn.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 4))
fds = array.array("i")
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
# One state per connection, and the runtime closes it after sending
# (config-linux.md, listenerPath): the next read sees EOF, not more data.
conn.settimeout(5)
try:
    closed = conn.recv(1) == b""
except socket.timeout:
    closed = False
report = {"process_state": json.loads(msg), "fds_received": len(fds),
          "closed_after_state": closed, "syscalls": []}
with open(out, "w") as f:
    json.dump(report, f)
for i in range(count):
    buf = bytearray(80)
    fcntl.ioctl(fds[0], NOTIF_RECV, buf)
    notif_id, pid, _flags, nr = struct.unpack_from("=QIIi", buf)
    report["syscalls"].append(nr)
    with open(out, "w") as f:
        json.dump(report, f)
    with open(marker, "a") as f:
        f.write("answer %d\n" % i)
    if i == 0:
        resp = struct.pack("=QqiI", notif_id, 0, -EPERM, 0)
    else:
        resp = struct.pack("=QqiI", notif_id, 0, 0, FLAG_CONTINUE)
    fcntl.ioctl(fds[0], NOTIF_SEND, bytearray(resp))
