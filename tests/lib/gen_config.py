#!/usr/bin/env python3
"""Random but valid OCI config.json files for a busybox bundle (issue 13).

gen_config.py --seed N --bundle DIR --id ID --hook PATH [--known]
gen_config.py --bundle DIR --check PID

Writes DIR/config.json, the files its bind mounts use, DIR/expect.sh (shell
variables X_* that tests/integration/config_fuzz.bats reads) and
DIR/checks.tsv (what the host must see in /proc/PID/..., the cgroup files
and the container's namespaces once the program runs; --check compares).
The caller makes DIR/rootfs (tests/lib/bundle.sh make_rootfs) owned by
X_ROOTFS_OWNER, with /etc/fuzz-id holding "seed-N": the program prints it.
One seed is one config, stdlib only, so CONFIG_FUZZ_SEED=N reproduces a case
anywhere.

Valid means: runc 1.1 would run it on this kind of host (cgroup v1
hybrid, root). The kernel's own rules are kept: proc needs a pid namespace
when there is a user namespace, sysfs a network namespace, hostname a uts
namespace, sysctls the namespace that owns them; the seccomp allow-lists let
busybox sh, sleep and the runtime's last steps before exec through.

--known (or CONFIG_FUZZ_KNOWN=1) is kept for the next known bug; none is
left now: relative cgroupsPaths, configs with no mount namespace and
seccomp profiles that deny close_range/openat2 without noNewPrivileges,
known bugs when the fuzzer was written, are always drawn now that they are
fixed. Those choices come from a
second random stream drawn whatever --known says, so a seed's config is the
same with and without it except for them.
"""
import argparse
import json
import os
import random
import resource
import shlex
import stat
import subprocess
import sys

# The test cgroup parent (tests/integration/helpers.bash: the ASan suite has its own)
TEST_CGROUP = os.environ.get("CGROUPS_PATH_PARENT", "/zrun-test")

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
        "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE"]
CAP_NUM = {name: i for i, name in enumerate(CAPS)}


def host_caps():
    """The capabilities the runtime has here (these sandboxes lack
    CAP_SYS_RESOURCE): a config asking for more is invalid on this host."""
    with open("/proc/self/status") as f:
        eff = int([l.split()[1] for l in f if l.startswith("CapEff:")][0], 16)
    return [c for c in CAPS if eff >> CAP_NUM[c] & 1]


def host_oom_score_adj():
    """Lowering oom_score_adj below it needs CAP_SYS_RESOURCE."""
    with open("/proc/self/oom_score_adj") as f:
        return int(f.read())

# What busybox sh, its sleep applet and the runtime's steps after loading
# the filter (user switch, capabilities, fds, the start fifo, exec) call.
SYSCALLS_NEEDED = [
    "arch_prctl", "brk", "capget", "capset", "chdir", "clock_gettime",
    "clock_nanosleep", "clone", "clone3", "close", "dup", "dup2", "dup3",
    "execve", "execveat", "exit", "exit_group", "fchdir", "fcntl", "fstat",
    "futex", "getcwd", "getdents64", "getegid", "geteuid", "getgid",
    "getgroups", "getpgrp", "getpid", "getppid", "getrandom", "getrlimit",
    "gettid", "getuid", "ioctl", "kill", "lseek", "madvise", "mmap",
    "mprotect", "munmap", "nanosleep", "newfstatat", "open", "openat", "pipe",
    "pipe2", "poll", "ppoll", "prctl", "pread64", "prlimit64", "read",
    "readlink", "readlinkat", "recvmsg", "rseq", "rt_sigaction",
    "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "sendmsg", "sendto",
    "recvfrom", "set_robust_list", "set_tid_address", "setgid", "setgroups",
    "setpgid", "setresgid", "setresuid", "setrlimit", "setsid", "setuid",
    "sigaltstack", "stat", "statx", "tgkill", "umask", "uname", "wait4",
    "waitid", "write", "writev", "readv", "fstatfs", "statfs", "access",
    "faccessat", "faccessat2", "lstat", "getsid", "sched_yield", "getpgid",
    "mremap", "pidfd_open", "pidfd_send_signal", "close_range", "openat2",
]
# More that a real allow-list (Docker's default) has; a random part of them
# is allowed too.
SYSCALLS_EXTRA = [
    "accept", "accept4", "alarm", "bind", "chmod", "chown", "connect",
    "copy_file_range", "creat", "epoll_create1", "epoll_ctl", "epoll_pwait",
    "epoll_wait", "eventfd2", "fadvise64", "fallocate", "fchmod",
    "fchmodat", "fchown", "fchownat", "fdatasync", "flock", "fsync",
    "ftruncate", "getitimer", "getpeername", "getpriority", "getrusage",
    "getsockname", "getsockopt", "gettimeofday", "inotify_add_watch",
    "inotify_init1", "link", "linkat", "listen", "mkdir", "mkdirat",
    "mknodat", "msync", "pause", "preadv", "pwrite64", "pwritev", "rename",
    "renameat", "renameat2", "rmdir", "sched_getaffinity", "select",
    "pselect6", "sendfile", "setitimer", "setpriority", "setsockopt",
    "shutdown", "signalfd4", "socket", "socketpair", "symlink", "symlinkat",
    "sync", "sysinfo", "tee", "timer_create", "timerfd_create", "times",
    "truncate", "unlink", "unlinkat", "utimensat", "vfork",
]
# Syscalls busybox sh and sleep never make: an allow-by-default profile
# returns an errno for some of them. mount, pivot_root and friends are the
# runtime's own: a filter that is loaded too early trips on them.
SYSCALLS_DENIABLE = [
    "acct", "add_key", "bpf", "chroot", "delete_module", "finit_module",
    "init_module", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
    "lookup_dcookie", "mbind", "migrate_pages", "mount", "move_pages",
    "name_to_handle_at", "open_by_handle_at", "perf_event_open", "pivot_root",
    "process_vm_readv", "process_vm_writev", "ptrace", "quotactl", "reboot",
    "request_key", "setns", "settimeofday", "swapoff", "swapon", "syslog",
    "umount2", "unshare", "userfaultfd", "vhangup", "iopl", "ioperm",
    "fanotify_init", "fsopen", "fsmount", "move_mount", "open_tree",
]
# Denied without noNewPrivileges, they failed zrun before it loaded the
# filter last (docs/decisions.md); drawn always now.
SYSCALLS_KNOWN_BUG = ["close_range", "openat2"]

RLIMITS = {  # type: (number, /proc/PID/limits name, unit, lowest soft, highest hard)
    "RLIMIT_NOFILE": (7, "Max open files", 1, 64, 65536),
    "RLIMIT_NPROC": (6, "Max processes", 1, 4096, 1 << 20),
    "RLIMIT_CORE": (4, "Max core file size", 1, 0, 1 << 30),
    "RLIMIT_STACK": (3, "Max stack size", 1 << 20, 8, 64),
    "RLIMIT_MEMLOCK": (8, "Max locked memory", 1 << 10, 64, 1 << 20),
    "RLIMIT_MSGQUEUE": (12, "Max msgqueue size", 1, 8192, 1 << 22),
    "RLIMIT_SIGPENDING": (11, "Max pending signals", 1, 1024, 1 << 16),
    "RLIMIT_NICE": (13, "Max nice priority", 1, 0, 40),
    "RLIMIT_RTPRIO": (14, "Max realtime priority", 1, 0, 99),
    "RLIMIT_CPU": (0, "Max cpu time", 1, 3600, 1 << 20),
    "RLIMIT_FSIZE": (1, "Max file size", 1 << 20, 64, 1 << 20),
    "RLIMIT_LOCKS": (10, "Max file locks", 1, 64, 1 << 20),
}
UNLIMITED = (1 << 64) - 1

# sysctls and the namespace that owns them (what runc's validator accepts)
SYSCTLS = [
    ("net.ipv4.ip_forward", "network", ["0", "1"]),
    ("net.core.somaxconn", "network", ["128", "512", "4096"]),
    ("net.ipv4.ping_group_range", "network", ["0 0", "0 2147483647"]),
    ("net.ipv4.ip_unprivileged_port_start", "network", ["0", "80", "1024"]),
    ("kernel.shmmax", "ipc", ["33554432", "68719476736"]),
    ("kernel.msgmax", "ipc", ["8192", "16384"]),
    ("fs.mqueue.msg_max", "ipc", ["10", "20"]),
    ("kernel.domainname", "uts", ["fuzz.test", "example.org"]),
]
SYSCTL_NSENTER = {"network": "-n", "ipc": "-i", "uts": "-u"}


class Gen:
    def __init__(self, seed, bundle, cid, hook, known, default_cgroup=None):
        self.r = random.Random(seed)
        # the known-bug choices: their own stream, drawn whatever --known says
        self.k = random.Random(seed * 1000003 + 17)
        self.seed, self.bundle, self.id, self.hook = seed, bundle, cid, hook
        self.known = known
        # where zrun puts a container without cgroupsPath: a root's own
        # parent (/zrun-<hash of the root>/ID), /zrun/ID under /run/zrun
        self.default_cgroup = default_cgroup or "/zrun/" + cid
        self.checks = []   # (kind, a, b, expected)
        self.summary = []
        self.expect = {}

    def chance(self, p):
        return self.r.random() < p

    def subset(self, pool, p):
        return [x for x in pool if self.chance(p)]

    def check(self, kind, a, b, want):
        # "-" for no B: the test reads the fields with IFS=tab, which
        # would fold an empty one into its neighbour
        self.checks.append((kind, str(a), str(b) or "-", str(want)))

    # -- namespaces ---------------------------------------------------------
    def namespaces(self):
        ns = {t for t, p in [("pid", .8), ("ipc", .6), ("uts", .6),
                             ("network", .6), ("cgroup", .4), ("user", .3)]
              if self.chance(p)}
        ns.add("mount")
        if "user" in ns:   # proc in a user namespace needs its own pid namespace
            ns.add("pid")
        self.ns = ns
        self.userns_shift = 0
        if "user" in ns:
            self.userns_shift = self.r.choice([0, 100000, 200000])
        order = ["pid", "network", "ipc", "uts", "mount", "cgroup", "user"]
        self.r.shuffle(order)
        return [{"type": t} for t in order if t in ns]

    def id_mappings(self):
        size = 65536
        m = [{"containerID": 0, "hostID": self.userns_shift, "size": size}]
        return m, [dict(x) for x in m]

    # -- mounts -------------------------------------------------------------
    def bind_source(self, name, is_file=False):
        path = os.path.join(self.bundle, name)
        if is_file:
            with open(path, "w") as f:
                f.write("fuzz %d\n" % self.seed)
            os.chmod(path, 0o644)
        else:
            os.makedirs(path, exist_ok=True)
            os.chmod(path, 0o755)
        # relative sources are relative to the bundle (runc, crun)
        return name if self.chance(.4) else path

    def bind_options(self):
        opts = [self.r.choice(["bind", "rbind"])]
        opts += self.subset(["ro", "nosuid", "nodev", "noexec"], .35)
        if self.chance(.3):
            opts.append(self.r.choice(["private", "rprivate", "slave", "rslave"]))
        return opts

    def mounts(self):
        m = []
        userns = "user" in self.ns
        self.has_proc = self.chance(.9)
        if self.has_proc:
            opts = self.subset(["nosuid", "noexec", "nodev"], .6)
            m.append({"destination": "/proc", "type": "proc", "source": "proc", "options": opts})
        self.has_dev = self.chance(.85)
        if self.has_dev:
            m.append({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]})
            if self.chance(.8):
                m.append({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                          "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
                          + ([] if userns else ["gid=5"])})
            if self.chance(.7):
                m.append({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                          "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]})
            if self.chance(.4) and (not userns or "ipc" in self.ns):
                m.append({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                          "options": ["nosuid", "noexec", "nodev"]})
        if self.chance(.7):
            if userns and "network" not in self.ns:
                # sysfs needs the network namespace of the user namespace
                m.append({"destination": "/sys", "type": "none", "source": "/sys",
                          "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
            else:
                opts = ["nosuid", "noexec", "nodev"] + (["ro"] if self.chance(.8) else [])
                m.append({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": opts})
        if self.chance(.4):
            opts = ["nosuid", "nodev", "mode=1777"] + self.subset(["noexec", "size=16m"], .5)
            m.append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": opts})
        if self.chance(.3):
            m.append({"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                      "options": ["nosuid", "nodev", "mode=755"]})
        if self.chance(.5):
            dest = self.r.choice(["/data", "/mnt/data", "/srv/a/b"])
            m.append({"destination": dest, "type": self.r.choice(["bind", "none"]),
                      "source": self.bind_source("data"), "options": self.bind_options()})
            # its mount point exists in the source: the bind may be read-only
            os.makedirs(os.path.join(self.bundle, "data", "inner"), exist_ok=True)
            if self.chance(.3):
                m.append({"destination": dest + "/inner", "type": "tmpfs", "source": "tmpfs",
                          "options": ["size=1m"]})
        if self.chance(.3):
            m.append({"destination": self.r.choice(["/etc/fuzz.txt", "/opt/conf/fuzz.txt"]),
                      "type": "bind", "source": self.bind_source("fuzz.txt", True),
                      "options": self.bind_options()})
        if self.chance(.2):
            m.append({"destination": "/mnt/ro-tmp", "type": "tmpfs", "source": "tmpfs",
                      "options": ["ro", "size=1m"]})
        self.summary.append("mounts=" + ",".join(x["destination"] for x in m))
        return m

    # -- process ------------------------------------------------------------
    def capabilities(self):
        if self.chance(.08):
            self.summary.append("caps=absent")
            return None
        everything = self.chance(.15)
        pool = host_caps()
        b = pool if everything else self.subset(pool, .3)
        p = [c for c in b if self.chance(.8)]
        e = [c for c in p if self.chance(.8)]
        i = [c for c in b if self.chance(.25)]
        a = [c for c in p if c in i and self.chance(.6)]
        caps = {"bounding": b, "effective": e, "permitted": p}
        if i or self.chance(.5):
            caps["inheritable"] = i
        if a or self.chance(.5):
            caps["ambient"] = a
        self.caps = (b, p, e, i, a)
        self.summary.append("caps=b%d/p%d/e%d/i%d/a%d" % tuple(len(x) for x in self.caps))
        return caps

    @staticmethod
    def capmask(names):
        v = 0
        for n in names:
            v |= 1 << CAP_NUM[n]
        return "%016x" % v

    def rlimits(self):
        out = []
        for t in self.subset(sorted(RLIMITS), .3):
            num, _, unit, lo, hi = RLIMITS[t]
            # raising a hard limit needs CAP_SYS_RESOURCE: stay below the host's
            host_hard = resource.getrlimit(num)[1]
            unlimited = host_hard == resource.RLIM_INFINITY
            if not unlimited:
                hi = min(hi, host_hard // unit)
                lo = min(lo, hi)
            hard = self.r.randint(lo, hi) * unit
            soft = self.r.randint(lo, hard // unit) * unit
            if unlimited and self.chance(.2):
                hard = UNLIMITED
                if self.chance(.5):
                    soft = UNLIMITED
            out.append({"type": t, "hard": hard, "soft": soft})
        return out

    def user(self):
        uid = self.r.choice([0, 0, 0, 1000, 65534])
        gid = self.r.choice([0, 0, 100, 1000, 65534])
        u = {"uid": uid, "gid": gid}
        groups = sorted(set(self.subset([5, 10, 100, 2000, 65533], .3)))
        if groups or self.chance(.3):
            u["additionalGids"] = groups
        umask = None
        if self.chance(.6):
            umask = self.r.choice([0o000, 0o002, 0o022, 0o027, 0o077])
            u["umask"] = umask
        self.uid, self.gid, self.groups, self.umask = uid, gid, groups, umask
        self.summary.append("user=%d:%d+%s umask=%s" % (uid, gid, groups,
                                                        "-" if umask is None else oct(umask)))
        return u

    def process(self):
        self.signal = self.r.choice(["KILL", "TERM"])
        # `read` is a builtin: the line proves the program runs inside the
        # rootfs (it holds /etc/fuzz-id) whatever seccomp or mounts allow.
        script = ('trap "exit 0" TERM; read tok < /etc/fuzz-id; echo "ran $$ $tok $PWD"; '
                  'sleep 1000 & wait')
        argv0 = self.r.choice(["sh", "/bin/sh"])
        env = ["PATH=" + self.r.choice(["/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                        "/bin", "/sbin:/bin"])]
        extra = {"FUZZ_SEED": str(self.seed)}
        if self.chance(.5):
            extra["FUZZ_SPACES"] = "a b  c"
        if self.chance(.4):
            env.append("HOME=/root")
        if self.chance(.3):
            extra["TERM"] = "xterm"
        env += ["%s=%s" % kv for kv in sorted(extra.items())]
        self.env = env
        self.cwd = self.r.choice(["/", "/", "/tmp", "/etc", "/root", "/bin"])
        p = {"terminal": False, "user": self.user(), "args": [argv0, "-c", script],
             "env": env, "cwd": self.cwd}
        caps = self.capabilities()
        if caps is not None:
            p["capabilities"] = caps
        else:
            self.caps = None
        nnp = self.r.choice([True, False, None])
        if nnp is not None:
            p["noNewPrivileges"] = nnp
        self.nnp = bool(nnp)
        rl = self.rlimits()
        if rl:
            p["rlimits"] = rl
        self.rl = rl
        self.oom = None
        if self.chance(.4):
            low = host_oom_score_adj()
            self.oom = max(low, self.r.choice([-500, -1, 0, 100, 500, 1000]))
            p["oomScoreAdj"] = self.oom
        self.summary.append("nnp=%s signal=%s cwd=%s" % (nnp, self.signal, self.cwd))
        return p

    # -- seccomp ------------------------------------------------------------
    def seccomp(self):
        kind = self.r.choice(["none", "none", "errno-rules", "allow-list"])
        known_deny = self.k.random() < .5
        if kind == "none":
            self.seccomp_kind = None
            return None
        s = {}
        if self.chance(.5):
            s["architectures"] = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        if kind == "errno-rules":
            s["defaultAction"] = "SCMP_ACT_ALLOW"
            deny = self.subset(SYSCALLS_DENIABLE, .25) or ["acct"]
            rules = [{"names": deny, "action": "SCMP_ACT_ERRNO"}]
            if self.chance(.5):
                rules[0]["errnoRet"] = self.r.choice([1, 38, 95])
            if self.chance(.4):
                # a rule with an argument: personality(0xffffffff) only
                rules.append({"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                              "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]})
            if self.chance(.3):
                # another action, for a syscall no other rule names
                rules.append({"names": ["uselib"], "action": self.r.choice(
                    ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_LOG"])})
            deny_known = self.chance(.5)
            if deny_known and (self.nnp or known_deny):
                if not self.nnp:
                    self.summary.append("seccomp-denies-close_range")
                rules.append({"names": list(SYSCALLS_KNOWN_BUG), "action": "SCMP_ACT_ERRNO",
                              "errnoRet": 38})
            s["syscalls"] = rules
        else:
            s["defaultAction"] = "SCMP_ACT_ERRNO"
            if self.chance(.5):
                s["defaultErrnoRet"] = 1
            names = list(SYSCALLS_NEEDED) + self.subset(SYSCALLS_EXTRA, .5)
            if known_deny and not self.nnp:
                names = [n for n in names if n not in SYSCALLS_KNOWN_BUG]
                self.summary.append("seccomp-denies-close_range")
            self.r.shuffle(names)
            # one rule or several, as profiles in the wild come
            if self.chance(.5):
                s["syscalls"] = [{"names": sorted(names), "action": "SCMP_ACT_ALLOW"}]
            else:
                cut = len(names) // 2
                s["syscalls"] = [{"names": names[:cut], "action": "SCMP_ACT_ALLOW"},
                                 {"names": names[cut:], "action": "SCMP_ACT_ALLOW"}]
        self.seccomp_kind = kind
        self.summary.append("seccomp=" + kind)
        return s

    # -- hooks --------------------------------------------------------------
    def hooks(self):
        h, order = {}, {"create": [], "start": [], "stop": []}
        phase = {"prestart": "create", "createRuntime": "create", "createContainer": "create",
                 "poststart": "start", "poststop": "stop"}
        for name in ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]:
            if not self.chance(.35):
                continue
            entries = []
            for i in range(self.r.randint(1, 2)):
                e = {"path": self.hook, "args": ["fuzz-hook", name, str(i)],
                     "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}
                if self.chance(.3):
                    e["timeout"] = 30
                entries.append(e)
                order[phase[name]].append("%s#%d" % (name, i))
            h[name] = entries
        self.hook_order = order
        if h:
            self.summary.append("hooks=" + ",".join(sorted(h)))
        return h

    # -- linux --------------------------------------------------------------
    def cgroups_path(self):
        relative = self.k.random() < .3
        default = self.chance(.15)
        if relative:
            self.summary.append("relative-cgroupsPath")
            return TEST_CGROUP.lstrip("/") + "/" + self.id
        if default:
            return None   # zrun's default: the root's own parent/<id>
        return TEST_CGROUP + "/" + self.id

    def resources(self):
        r, cg = {}, []
        if self.chance(.5):
            mem = {"limit": self.r.randint(32, 512) << 20}
            cg.append(("memory", "memory.limit_in_bytes", mem["limit"]))
            if self.chance(.3):
                mem["reservation"] = mem["limit"] // 2
                cg.append(("memory", "memory.soft_limit_in_bytes", mem["reservation"]))
            if self.chance(.3):
                mem["swap"] = mem["limit"] * 2
                cg.append(("memory", "memory.memsw.limit_in_bytes", mem["swap"]))
            r["memory"] = mem
        if self.chance(.5):
            limit = self.r.randint(64, 1024)
            r["pids"] = {"limit": limit}
            cg.append(("pids", "pids.max", limit))
        if self.chance(.5):
            cpu = {}
            if self.chance(.7):
                cpu["shares"] = self.r.randint(2, 4096)
                cg.append(("cpu", "cpu.shares", cpu["shares"]))
            if self.chance(.5):
                cpu["period"] = 100000
                cpu["quota"] = self.r.randint(10, 200) * 1000
                cg.append(("cpu", "cpu.cfs_period_us", cpu["period"]))
                cg.append(("cpu", "cpu.cfs_quota_us", cpu["quota"]))
            if self.chance(.3):
                cpu["cpus"] = self.r.choice(["0", "0-1", "1"])
                cpu["mems"] = "0"
                cg.append(("cpuset", "cpuset.cpus", cpu["cpus"]))
            r["cpu"] = cpu
        if self.chance(.3):
            # deny everything: the runtime adds the devices every container
            # gets (/dev/null, ...), as runc does
            r["devices"] = [{"allow": False, "access": "rwm"}]
        self.cg_checks = cg
        return r

    def sysctls(self):
        out = {}
        for key, ns, values in SYSCTLS:
            # runc writes them through the container's /proc; the uts ones
            # only the host's root may write (no owner in a user namespace)
            if ns in self.ns and self.chance(.25) and self.has_proc and \
                    not (ns == "uts" and "user" in self.ns):
                out[key] = want = self.r.choice(values)
                if key == "net.ipv4.ping_group_range" and "user" in self.ns:
                    # gids of the writer's user namespace: the host reads
                    # them mapped, and 2147483647 has no mapping there
                    out[key] = "0 %d" % self.r.choice([0, 1000])
                    want = " ".join(str(int(g) + self.userns_shift) for g in out[key].split())
                self.check("nsfile", SYSCTL_NSENTER[ns], "/proc/sys/" + key.replace(".", "/"), want)
        return out

    def linux(self, namespaces):
        lx = {"namespaces": namespaces}
        if "user" in self.ns:
            lx["uidMappings"], lx["gidMappings"] = self.id_mappings()
        cgp = self.cgroups_path()
        if cgp is not None:
            lx["cgroupsPath"] = cgp
        self.cgroup = cgp if cgp is not None else self.default_cgroup
        lx["resources"] = self.resources()
        if self.chance(.7):
            lx["maskedPaths"] = self.subset(
                ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                 "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                 "/sys/firmware", "/sys/devices/virtual/powercap", "/no/such/path"], .6)
        if self.chance(.7):
            lx["readonlyPaths"] = self.subset(
                ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                 "/etc", "/no/such/path"], .6)
        sc = self.sysctls()
        if sc:
            lx["sysctl"] = sc
        if self.chance(.5):
            lx["rootfsPropagation"] = self.r.choice(["private", "rprivate", "slave", "rslave"])
        s = self.seccomp()
        if s is not None:
            lx["seccomp"] = s
        return lx

    # -- drawn last, so that adding them changed no earlier seed's config ---
    def lifecycle(self, cfg):
        """How the test drives the container, and a few more config fields."""
        number = {"KILL": "9", "TERM": "15"}[self.signal]
        self.signal = self.r.choice([self.signal, "SIG" + self.signal, number])
        self.stop = "kill" if self.chance(.75) else "delete-force"
        self.exec_ = self.chance(.4)
        self.pause = self.chance(.3)
        self.annotated = self.chance(.4)
        if self.annotated:
            cfg["annotations"] = {"fuzz.seed": str(self.seed), "org.example/empty": ""}
        self.domainname = None
        if "uts" in self.ns and "kernel.domainname" not in cfg["linux"].get("sysctl", {}) \
                and self.chance(.3):
            self.domainname = cfg["domainname"] = "fuzz%d.test" % self.seed
        if self.chance(.3):
            cfg["root"]["path"] = os.path.join(self.bundle, "rootfs")
        if self.chance(.15):
            cfg["linux"]["rootfsPropagation"] = self.r.choice(["shared", "rshared"])
        if "user" not in self.ns and self.chance(.3):
            # (in a user namespace runc bind-mounts the host's node of that
            # path, which this one has not)
            mode = self.r.choice([0o600, 0o640, 0o666])
            dev = {"path": "/dev/fuzz-null", "type": "c", "major": 1, "minor": 3,
                   "fileMode": mode, "uid": 0, "gid": self.r.choice([0, 5])}
            cfg["linux"]["devices"] = [dev]
            self.check("stat", dev["path"], "-", "c 1:3 %o 0:%d" % (mode, dev["gid"]))
        self.no_pivot = self.chance(.2)
        self.pid_file = self.chance(.5)
        if self.no_pivot:
            self.summary.append("--no-pivot")
        self.summary.append("stop=%s/%s%s%s" % (self.stop, self.signal, " exec" if self.exec_ else "",
                                                " pause" if self.pause else ""))

    # -- the whole config and what the host must see -------------------------
    def config(self):
        namespaces = self.namespaces()
        cfg = {"ociVersion": "1.0.2", "process": self.process(),
               "root": {"path": "rootfs", "readonly": self.chance(.3)}}
        cfg["mounts"] = self.mounts()
        if "uts" in self.ns and self.chance(.8):
            self.hostname = "fuzz-%d" % self.seed
            cfg["hostname"] = self.hostname
        else:
            self.hostname = None
        cfg["linux"] = self.linux(namespaces)
        h = self.hooks()
        if h:
            cfg["hooks"] = h
        self.lifecycle(cfg)
        no_mount_ns = self.k.random() < .15
        if no_mount_ns:
            # no mount namespace: nothing to mount or mask, no user namespace
            self.ns -= {"mount", "user"}
            cfg["linux"]["namespaces"] = [n for n in namespaces if n["type"] in self.ns]
            for key in ["uidMappings", "gidMappings", "maskedPaths", "readonlyPaths",
                        "rootfsPropagation", "devices"]:
                cfg["linux"].pop(key, None)
            self.checks = [c for c in self.checks if c[0] != "stat"]
            cfg["mounts"] = []
            cfg["root"]["readonly"] = False
            self.userns_shift = 0
            self.summary.append("no-mount-ns(no mounts)")
        self.summary.insert(0, "ns=" + ",".join(sorted(self.ns)))
        if cfg["root"]["readonly"]:
            self.summary.append("readonly-root")
        return cfg

    def mount_checks(self, cfg):
        """Each mount, masked and read-only path is there, on top of its
        mount point, with the flags the config asks for."""
        flags = ("ro", "nosuid", "nodev", "noexec")
        dests = {}
        for m in cfg["mounts"]:
            dests[m["destination"]] = [o for o in m.get("options", []) if o in flags]
        if cfg["root"]["readonly"]:
            self.check("mount", "/", "ro", "present")
        for dest, want in dests.items():
            self.check("mount", dest, ",".join(want), "present")

        def exists(path):   # in the container, as this host's kernel shows it
            top = "/" + path.split("/")[1]
            if top in ("/proc", "/sys"):
                return top in dests and os.path.exists(path)
            return path == "/etc"
        lx = cfg["linux"]
        for path in lx.get("maskedPaths", []):
            if exists(path):
                self.check("mount", path, "", "present")
        for path in lx.get("readonlyPaths", []):
            if exists(path):
                self.check("mount", path, "ro", "present")

    def host_checks(self):
        shift = self.userns_shift
        ids = lambda v: " ".join([str(v + shift)] * 4)
        self.check("status", "Uid", "", ids(self.uid))
        self.check("status", "Gid", "", ids(self.gid))
        self.check("status", "Groups", "", " ".join(str(g + shift) for g in self.groups))
        self.check("status", "Umask", "", "%04o" % (0o022 if self.umask is None else self.umask))
        self.check("status", "NoNewPrivs", "", 1 if self.nnp else 0)
        self.check("status", "Seccomp", "", 2 if self.seccomp_kind else 0)
        if self.caps is not None:
            b, p, e, i, a = self.caps
            # after exec: root keeps its bounding set (its permitted one
            # under no_new_privs); any other uid keeps its ambient set only
            if self.uid == 0:
                eff = p if self.nnp else sorted(set(b) | set(i))
            else:
                eff = a
            self.check("status", "CapBnd", "", self.capmask(b))
            self.check("status", "CapInh", "", self.capmask(i))
            self.check("status", "CapEff", "", self.capmask(eff))
        if self.oom is not None:
            self.check("file", "oom_score_adj", "", self.oom)
        for rl in self.rl:
            name = RLIMITS[rl["type"]][1]
            show = lambda v: "unlimited" if v == UNLIMITED else str(v)
            self.check("limit", name, "", show(rl["soft"]) + " " + show(rl["hard"]))
        for var in self.env:
            self.check("environ", var, "", "present")
        if self.hostname:
            self.check("nsfile", "-u", "/proc/sys/kernel/hostname", self.hostname)
        if self.domainname:
            self.check("nsfile", "-u", "/proc/sys/kernel/domainname", self.domainname)
        for ctrl, f, v in self.cg_checks:
            self.check("cgroup", ctrl, f, v)

    def write(self):
        cfg = self.config()
        self.host_checks()
        self.mount_checks(cfg)
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
            f.write("\n")
        with open(os.path.join(self.bundle, "checks.tsv"), "w") as f:
            for c in self.checks:
                f.write("\t".join(c) + "\n")
        x = {
            "X_SUMMARY": " ".join(self.summary),
            "X_SIGNAL": self.signal,
            "X_STOP": self.stop,
            "X_EXEC": "1" if self.exec_ else "0",
            "X_PAUSE": "1" if self.pause else "0",
            "X_ANNOTATED": "1" if self.annotated else "0",
            "X_NO_PIVOT": "1" if self.no_pivot else "0",
            "X_PID_FILE": "1" if self.pid_file else "0",
            "X_CGROUP": self.cgroup,
            "X_PIDNS": "1" if "pid" in self.ns else "0",
            "X_CWD": self.cwd,
            # a user namespace's root owns its rootfs (podman chowns or
            # idmaps it), else it could make no mount point in it
            "X_ROOTFS_OWNER": str(self.userns_shift),
            "X_HOOKS_CREATE": " ".join(self.hook_order["create"]),
            "X_HOOKS_START": " ".join(self.hook_order["start"]),
            "X_HOOKS_STOP": " ".join(self.hook_order["stop"]),
        }
        with open(os.path.join(self.bundle, "expect.sh"), "w") as f:
            for k, v in x.items():
                f.write("%s=%s\n" % (k, shlex.quote(v)))


# -- --check PID: what the host sees of the running program ----------------
def squeeze(text):
    return " ".join(text.split())


def proc_fields(pid, name):
    with open("/proc/%d/%s" % (pid, name)) as f:
        return dict(l.split(":", 1) for l in f if ":" in l)


def seen_of(pid, kind, a, b):
    if kind == "status":
        return proc_fields(pid, "status").get(a, "(none)")
    if kind == "file":
        with open("/proc/%d/%s" % (pid, a)) as f:
            return f.read()
    if kind == "limit":
        with open("/proc/%d/limits" % pid) as f:
            line = [l for l in f if l.startswith(a + " ")]
        return " ".join(line[0][len(a):].split()[:2]) if line else "(none)"
    if kind == "environ":
        with open("/proc/%d/environ" % pid, "rb") as f:
            return "present" if a.encode() in f.read().split(b"\0") else "absent"
    if kind == "nsfile":
        r = subprocess.run(["nsenter", "-t", str(pid), a, "cat", b],
                           capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else "(nsenter failed: %s)" % r.stderr.strip()
    if kind == "cgroup":
        for line in open("/proc/%d/cgroup" % pid):
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if a in ctrls.split(","):
                with open("/sys/fs/cgroup/%s%s/%s" % (a, path, b)) as f:
                    return f.read()
        return "(no %s cgroup)" % a
    if kind == "stat":
        st = os.lstat("/proc/%d/root%s" % (pid, a))
        kind = "c" if stat.S_ISCHR(st.st_mode) else "b" if stat.S_ISBLK(st.st_mode) else "other"
        return "%s %d:%d %o %d:%d" % (kind, os.major(st.st_rdev), os.minor(st.st_rdev),
                                      stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    if kind == "mount":
        with open("/proc/%d/mountinfo" % pid) as f:
            at = [l.split() for l in f if l.split()[4] == a]
        if not at:
            return "no mount at %s" % a
        opts = at[-1][5].split(",")
        lacks = [o for o in b.split(",") if o != "-" and o not in opts]
        return "present" if not lacks else "mount options %s, without %s" % (at[-1][5], ",".join(lacks))
    return "(unknown check %s)" % kind


def check(bundle, pid):
    """Prints each check of BUNDLE/checks.tsv the program PID fails."""
    bad = 0
    with open(os.path.join(bundle, "checks.tsv")) as f:
        for line in f:
            kind, a, b, want = line.rstrip("\n").split("\t")
            try:
                seen = squeeze(seen_of(pid, kind, a, b))
            except OSError as e:
                seen = "(%s)" % e
            if seen != squeeze(want):
                print('%s %s%s: expected "%s", saw "%s"' % (
                    kind, a, "" if b == "-" else " " + b, squeeze(want), seen))
                bad += 1
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--bundle", required=True, help="bundle dir (rootfs/ made by the caller)")
    ap.add_argument("--id", help="container id (names the cgroup)")
    ap.add_argument("--hook", help="hook program: HOOK NAME INDEX < state")
    ap.add_argument("--default-cgroup", help="the cgroup zrun gives a container without cgroupsPath "
                    "(default /zrun/ID, as under /run/zrun)")
    ap.add_argument("--known", action="store_true",
                    default=os.environ.get("CONFIG_FUZZ_KNOWN") == "1",
                    help="also produce what known zrun bugs fail on")
    ap.add_argument("--check", type=int, metavar="PID",
                    help="instead: check the running program PID against BUNDLE/checks.tsv")
    a = ap.parse_args()
    if a.check is not None:
        sys.exit(check(a.bundle, a.check))
    if a.seed is None or a.id is None or a.hook is None:
        ap.error("--seed, --id and --hook are needed to generate")
    Gen(a.seed, os.path.abspath(a.bundle), a.id, a.hook, a.known, a.default_cgroup).write()


if __name__ == "__main__":
    main()
