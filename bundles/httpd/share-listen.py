#!/usr/bin/python3
"""share-listen: binds one TCP listening socket and starts several programs
that all accept from it (fd 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES), the
way zrun's supervisor hands a service's listener to its versions. For tests of
httpd on the host, without containers.

usage: share-listen.py HOST:PORT PIDFILE -- CMD [ARGS...] [-- CMD [ARGS...]]...

Writes one pid per line to PIDFILE (in the order of the commands), holds its
own copy of the socket like the supervisor does, forwards SIGTERM/SIGINT to the
programs still running, prints "share-listen: PID exited STATUS" to stderr
as each one exits, and exits 0 when the last one has."""
import os
import signal
import socket
import sys


def parse(argv):
    if len(argv) < 5 or argv[3] != "--":
        sys.exit(__doc__)
    addr, pidfile, cmds = argv[1], argv[2], []
    for a in argv[3:]:
        if a == "--":
            cmds.append([])
        else:
            cmds[-1].append(a)
    if not all(cmds):
        sys.exit("share-listen: empty command")
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port), pidfile, cmds


def spawn(sock, cmd):
    pid = os.fork()
    if pid:
        return pid
    try:
        os.dup2(sock.fileno(), 3)   # dup2 clears FD_CLOEXEC on fd 3
        os.set_inheritable(3, True)  # ... unless the socket already was fd 3
        env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
                   LISTEN_FDNAMES="http")
        os.execve(cmd[0], cmd, env)
    except OSError as e:
        print(f"share-listen: {cmd[0]}: {e}", file=sys.stderr)
    os._exit(127)


def main():
    host, port, pidfile, cmds = parse(sys.argv)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    children = [spawn(sock, cmd) for cmd in cmds]
    with open(pidfile + ".tmp", "w") as f:
        f.write("".join(f"{pid}\n" for pid in children))
    os.rename(pidfile + ".tmp", pidfile)
    running = set(children)

    def forward(signo, _frame):
        for pid in running:
            try:
                os.kill(pid, signo)
            except ProcessLookupError:
                pass
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while running:
        pid, status = os.wait()
        running.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        how = f"with signal {-code}" if code < 0 else str(code)
        print(f"share-listen: {pid} exited {how}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
