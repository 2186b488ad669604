#!/usr/bin/env python3
"""sockopts.py PID FD: what a process's socket FD says of the settings a
version can change on a shared listener (src/service/listener_guard.c), one
name=value per word: the backlog (tcp_info's tcpi_sacked of a listening
socket, which `ss -lnt` shows as Send-Q), the number of BPF filter
instructions (-1: an eBPF filter) and the options the supervisor puts back.
Takes a copy of the fd with pidfd_getfd(2)."""
import ctypes
import errno
import os
import socket
import struct
import sys

SYS_pidfd_getfd = 438
SO_GET_FILTER = 26
SO_BUF_LOCK = 72

libc = ctypes.CDLL(None, use_errno=True)


def fd_of(pid, fd):
    pidfd = os.pidfd_open(pid)
    got = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    os.close(pidfd)
    if got < 0:
        sys.exit("pidfd_getfd %d/%d: %s" % (pid, fd, os.strerror(ctypes.get_errno())))
    return got


def filter_len(fd):
    n = ctypes.c_uint(0)  # optlen 0: the kernel answers with the count
    r = libc.getsockopt(fd, socket.SOL_SOCKET, SO_GET_FILTER, None, ctypes.byref(n))
    if r < 0:
        return -1 if ctypes.get_errno() == errno.EACCES else -2
    return n.value


def main():
    fd = fd_of(int(sys.argv[1]), int(sys.argv[2]))
    s = socket.socket(fileno=fd)
    S, T = socket.SOL_SOCKET, socket.IPPROTO_TCP
    ti = s.getsockopt(T, socket.TCP_INFO, 104)
    out = ["backlog=%d" % struct.unpack_from("I", ti, 28)[0], "filter=%d" % filter_len(fd)]
    on, secs = struct.unpack("ii", s.getsockopt(S, socket.SO_LINGER, 8))
    out.append("linger=%d,%d" % (on, secs))
    for name, opt in (("rcvtimeo", socket.SO_RCVTIMEO), ("sndtimeo", socket.SO_SNDTIMEO)):
        out.append("%s=%d.%06d" % ((name,) + struct.unpack("ll", s.getsockopt(S, opt, 16))))
    for name, level, opt in (("rcvlowat", S, socket.SO_RCVLOWAT), ("rcvbuf", S, socket.SO_RCVBUF),
                             ("sndbuf", S, socket.SO_SNDBUF), ("buflock", S, SO_BUF_LOCK),
                             ("reuseport", S, socket.SO_REUSEPORT),
                             ("defer_accept", T, socket.TCP_DEFER_ACCEPT),
                             ("fastopen", T, socket.TCP_FASTOPEN), ("maxseg", T, socket.TCP_MAXSEG),
                             ("user_timeout", T, socket.TCP_USER_TIMEOUT)):
        out.append("%s=%d" % (name, s.getsockopt(level, opt)))
    s.detach()
    os.close(fd)
    print(" ".join(out))


main()
