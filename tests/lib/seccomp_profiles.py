#!/usr/bin/env python3
"""Seccomp profiles written elsewhere, as OCI linux.seccomp objects, for the
"configs from elsewhere" tests (tests/integration/foreign_configs.bats).

  seccomp_profiles.py NAME   prints the profile NAME as JSON:
    docker      Docker's default profile as published (2023-), amd64, with
                its capability conditions resolved for Docker's default
                capabilities (no CAP_SYS_ADMIN: clone masked, clone3 ENOSYS)
    containerd  containerd's default (contrib/seccomp, 1.5/1.6 era): no
                close_range, no epoll_pwait2, no rseq
    old         Docker's list as it was before close_range, openat2 and
                faccessat2 were added (the profiles many hosts still carry)
    strict      default SCMP_ACT_ERRNO and only what a busybox shell needs,
                plus the user switch (setgroups, setres[ug]id, capset,
                prctl) that the spec lets the runtime make after the filter

The syscall names are facts of those published profiles, written out here.
"""
import json
import sys

DOCKER = """accept accept4 access adjtimex alarm bind brk capget capset chdir chmod
chown chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64
clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close
close_range connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat
faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod
fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs
fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv
futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid
geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername
getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname
getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl
io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get
ioprio_set io_setup io_submit io_uring_enter io_uring_register io_uring_setup
ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create
memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap
mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap
msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at
nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6
pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat
readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages
removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity
sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64
sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield
seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile
sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32
setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address
setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack
signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat
stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs
sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times
tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write
writev""".split()

# In Docker's list, not in containerd's 1.5/1.6 default.
NOT_IN_CONTAINERD = set("""adjtimex clock_adjtime clock_adjtime64 close_range
epoll_pwait2 futex_waitv io_uring_enter io_uring_register io_uring_setup
landlock_add_rule landlock_create_ruleset landlock_restrict_self membarrier
memfd_secret name_to_handle_at pidfd_open pidfd_send_signal pkey_alloc
pkey_free pkey_mprotect preadv2 process_mrelease pwritev2 rseq""".split())

# Added to Docker's default profile from 2020 on.
NEWER_THAN_OLD = set("""close_range openat2 faccessat2 epoll_pwait2 futex_waitv
landlock_add_rule landlock_create_ruleset landlock_restrict_self memfd_secret
process_mrelease pidfd_open pidfd_send_signal""".split())

STRICT = """arch_prctl brk clock_nanosleep nanosleep clone fork vfork wait4 close
dup dup2 dup3 execve exit exit_group fcntl getpid getppid getuid geteuid getgid
getegid getrandom mmap munmap mprotect newfstatat fstat stat lstat openat open
read write readlink prlimit64 rseq rt_sigaction rt_sigprocmask rt_sigreturn
sendfile set_robust_list set_tid_address uname ioctl getcwd lseek chdir
getpgrp setpgid pause kill pipe pipe2 getdents64 access faccessat statx getgroups
setgroups setresgid setresuid capset prctl""".split()

CLONE_NS_MASK = 0x7E020000  # CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP


def rule(names, action="SCMP_ACT_ALLOW", args=None, errno=None):
    r = {"names": sorted(names), "action": action}
    if args:
        r["args"] = args
    if errno is not None:
        r["errnoRet"] = errno
    return r


def personality_rules(values):
    return [rule(["personality"], args=[{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}])
            for v in values]


def clone_without_namespaces():
    return rule(["clone"], args=[{"index": 0, "value": CLONE_NS_MASK, "valueTwo": 0,
                                  "op": "SCMP_CMP_MASKED_EQ"}])


def docker(names):
    return {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [rule(names),
                     rule(["socket"], args=[{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}])]
        + personality_rules([0, 8, 131072, 131080, 4294967295])
        + [rule(["arch_prctl", "modify_ldt"]), rule(["chroot"]),  # CAP_SYS_CHROOT is a default
           clone_without_namespaces(),
           rule(["clone3"], action="SCMP_ACT_ERRNO", errno=38)],
    }


def containerd():
    names = [n for n in DOCKER if n not in NOT_IN_CONTAINERD] + ["socket", "syslog"]
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [rule(names)] + personality_rules([0, 8, 4294967295])
        + [rule(["arch_prctl", "modify_ldt"]), rule(["chroot"]), clone_without_namespaces()],
    }


def profile(name):
    if name == "docker":
        return docker(DOCKER)
    if name == "old":
        return docker([n for n in DOCKER if n not in NEWER_THAN_OLD])
    if name == "containerd":
        return containerd()
    if name == "strict":
        return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
                "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [rule(STRICT)]}
    raise SystemExit("seccomp_profiles.py: unknown profile %r" % name)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: seccomp_profiles.py docker|containerd|old|strict")
    json.dump(profile(sys.argv[1]), sys.stdout, indent=1)
    print()
