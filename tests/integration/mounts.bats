#!/usr/bin/env bats
# Each kind of mount and mount option really takes effect inside the
# container, and no mount destination escapes the rootfs.

load helpers

setup() { setup_common; }
teardown() {
	# host-side mounts a test made under its work dir
	grep -o " $WORK/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	teardown_common
}

# mounts_run NAME ARGS MOUNTS_EXTRA: run a bundle NAME with those, output in $output
mounts_run() {
	ARGS=$2 MOUNTS_EXTRA=$3 B=$(bundle "$1")
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
}

@test "bind_mounts_a_host_file_and_directory" {
	mkdir "$WORK/hostdir"; echo dir-content > "$WORK/hostdir/a"; echo file-content > "$WORK/hostfile"
	mounts_run bind '["sh","-c","cat /data/a /etc/hostfile && echo w > /data/b"]' \
		",{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$WORK/hostdir\",\"options\":[\"bind\"]},
		  {\"destination\":\"/etc/hostfile\",\"type\":\"none\",\"source\":\"$WORK/hostfile\",\"options\":[\"bind\"]}"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(printf 'dir-content\nfile-content')" "contents"
	expect_eq "$(cat "$WORK/hostdir/b")" w "written through the bind"
	[ ! -e "$B/rootfs/data/a" ]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/bind
}

@test "rbind_carries_submounts_and_bind_does_not" {
	mkdir -p "$WORK/tree/sub"
	mount -t tmpfs tmpfs "$WORK/tree/sub"
	echo in-submount > "$WORK/tree/sub/f"
	mounts_run rbind '["sh","-c","cat /r/sub/f; ls /b/sub | wc -l"]' \
		",{\"destination\":\"/r\",\"type\":\"bind\",\"source\":\"$WORK/tree\",\"options\":[\"rbind\"]},
		  {\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"$WORK/tree\",\"options\":[\"bind\"]}"
	umount "$WORK/tree/sub"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" in-submount "file in the submount through rbind"
	expect_eq "${lines[1]}" 0 "entries under the non-recursive bind"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/rbind
}

@test "ro_bind_mount_refuses_writes" {
	mkdir "$WORK/hostdir"
	mounts_run robind '["sh","-c","touch /data/x"]' \
		",{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$WORK/hostdir\",\"options\":[\"rbind\",\"ro\"]}"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]] || { echo "expected EROFS"; false; }
	[ ! -e "$WORK/hostdir/x" ]
	# and the host's mount is still writable
	touch "$WORK/hostdir/y"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/robind
}

@test "nosuid_nodev_noexec_are_applied_and_noexec_blocks_exec" {
	mkdir "$WORK/hostdir"
	mounts_run flags '["sh","-c","grep -E \" /(t|h) \" /proc/self/mountinfo; cp /bin/busybox /t/bb; /t/bb true; echo t=$?; cp /bin/busybox /h/bb; /h/bb true; echo h=$?"]' \
		",{\"destination\":\"/t\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\",\"noexec\"]},
		  {\"destination\":\"/h\",\"type\":\"bind\",\"source\":\"$WORK/hostdir\",\"options\":[\"rbind\",\"nosuid\",\"nodev\",\"noexec\"]}"
	expect_eq "$status" 0 "exit status"
	for m in t h; do
		line=$(grep " /$m " <<<"$output")
		opts=$(awk '{print $6}' <<<"$line")
		for o in nosuid nodev noexec; do
			[[ ",$opts," == *",$o,"* ]] || { echo "/$m: expected $o in \"$opts\""; false; }
		done
	done
	[[ "$output" == *"t=126"* ]] || { echo "exec on noexec tmpfs was not refused"; false; }
	[[ "$output" == *"h=126"* ]] || { echo "exec on noexec bind was not refused"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/flags
}

@test "propagation_flags_show_in_mountinfo" {
	mkdir "$WORK/p1" "$WORK/p2"
	mounts_run prop '["grep","-E"," /(shared|private) ","/proc/self/mountinfo"]' \
		",{\"destination\":\"/shared\",\"type\":\"bind\",\"source\":\"$WORK/p1\",\"options\":[\"rbind\",\"rshared\"]},
		  {\"destination\":\"/private\",\"type\":\"bind\",\"source\":\"$WORK/p2\",\"options\":[\"rbind\",\"rprivate\"]}"
	expect_eq "$status" 0 "exit status"
	shared=$(grep " /shared " <<<"$output")
	private=$(grep " /private " <<<"$output")
	[[ "$shared" == *" shared:"* ]] || { echo "/shared is not shared: $shared"; false; }
	[[ "$private" != *"shared:"* && "$private" != *"master:"* ]] || { echo "/private is not private: $private"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/prop
}

@test "rootfs_propagation_rshared_makes_root_shared" {
	ARGS='["awk","$5 == \"/\"","/proc/self/mountinfo"]' LINUX_EXTRA=',"rootfsPropagation":"rshared"' B=$(bundle rprop)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ "$output" == *" shared:"* ]] || { echo "/ is not shared"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/rprop
}

@test "tmpfs_takes_size_and_mode" {
	mounts_run tmpfs '["sh","-c","stat -c %a /scratch; df -k /scratch | tail -1 | awk \"{print \\$2}\""]' \
		',{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["size=2m","mode=1730"]}'
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" 1730 "mode"
	expect_eq "${lines[1]}" 2048 "size in KiB"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/tmpfs
}

@test "proc_is_the_containers_own" {
	mounts_run proc '["sh","-c","grep \" /proc \" /proc/self/mountinfo | sed \"s/.* - //\" | cut -d\" \" -f1; cat /proc/1/comm; ls -d /proc/[0-9]* | wc -l"]' ''
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" proc "fs type of /proc"
	expect_eq "${lines[1]}" sh "pid 1 in this /proc"
	[ "${lines[2]}" -le 4 ] || { echo "expected the container's few pids, saw ${lines[2]}"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/proc
}

@test "sysfs_is_read_only" {
	mounts_run sysfs '["sh","-c","grep \" /sys \" /proc/self/mountinfo | cut -d\" \" -f6; echo x > /sys/kernel/uevent_helper"]' ''
	[ "$status" -ne 0 ]
	[[ ",${lines[0]}," == *,ro,* ]] || { echo "/sys options: ${lines[0]}"; false; }
	[[ "$output" == *"Read-only file system"* ]] || { echo "expected EROFS"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/sysfs
}

@test "mqueue_is_mounted" {
	mounts_run mq '["sh","-c","grep \" /dev/mqueue \" /proc/self/mountinfo | sed \"s/.* - //\" | cut -d\" \" -f1"]' \
		',{"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]}'
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" mqueue "fs type of /dev/mqueue"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/mq
}

@test "devpts_is_a_new_instance_and_dev_ptmx_points_into_it" {
	mounts_run pts '["sh","-c","readlink /dev/ptmx; grep \" /dev/pts \" /proc/self/mountinfo | sed \"s/.* - //\"; exec 3<>/dev/ptmx; ls /dev/pts"]' ''
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" pts/ptmx "/dev/ptmx"
	[[ "${lines[1]}" == devpts* && "${lines[1]}" == *ptmxmode=666* ]] || { echo "devpts: ${lines[1]}"; false; }
	# the first pty of a fresh instance is 0, whatever the host has open
	[[ "$output" == *$'\n0\nptmx'* ]] || { echo "expected pty 0 in a fresh instance"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/pts
}

@test "cgroup_v1_mount_shows_the_containers_own_cgroups" {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "not a cgroup v1 host"
	RESOURCES='{"memory":{"limit":41943040},"pids":{"limit":77}}'
	mounts_run cgmount '["sh","-c","cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; cat /sys/fs/cgroup/pids/cgroup.procs; ls /sys/fs/cgroup; touch /sys/fs/cgroup/x"]' \
		',{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}'
	expect_eq "${lines[0]}" 41943040 "memory.limit_in_bytes"
	expect_eq "${lines[1]}" 77 "pids.max"
	expect_eq "${lines[2]}" 1 "cgroup.procs (pid 1 only)"
	for c in memory pids cpu cpuset devices freezer blkio; do
		[[ " ${lines[*]} " == *" $c "* ]] || { echo "no $c hierarchy"; false; }
	done
	[[ "$output" == *"Read-only file system"* ]] || { echo "ro cgroup tmpfs was writable"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cgmount
}

# ZRUN_CGROUP_MOUNT set but empty means the default /sys/fs/cgroup, as it
# does for cgroup detection; the cgroup mount read it a second time and took
# "" as a path (statfs: No such file or directory).
@test "cgroup_mount_with_an_empty_ZRUN_CGROUP_MOUNT_uses_the_default_root" {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "not a cgroup v1 host"
	ARGS='["sh","-c","ls /sys/fs/cgroup"]' \
	MOUNTS_EXTRA=',{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","ro"]}' \
	B=$(bundle cgempty)
	ZRUN_CGROUP_MOUNT= run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ " ${lines[*]} " == *" memory "* ]] || { echo "expected a memory hierarchy in /sys/fs/cgroup, saw: ${lines[*]}"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cgempty
}

@test "default_dev_has_devices_symlinks_and_shm" {
	mounts_run dev '["sh","-c","for d in null zero full random urandom tty; do test -c /dev/$d && echo $d; done; for l in fd stdin stdout stderr; do echo $l=$(readlink /dev/$l); done; head -c 5 /dev/zero | wc -c; echo x > /dev/full; grep \" /dev/shm \" /proc/self/mountinfo | sed \"s/.* - //\" | cut -d\" \" -f1"]' ''
	expect_eq "${lines[*]:0:6}" "null zero full random urandom tty" "character devices"
	expect_eq "${lines[6]}" fd=/proc/self/fd "/dev/fd"
	expect_eq "${lines[7]}" stdin=/proc/self/fd/0 "/dev/stdin"
	expect_eq "${lines[8]}" stdout=/proc/self/fd/1 "/dev/stdout"
	expect_eq "${lines[9]}" stderr=/proc/self/fd/2 "/dev/stderr"
	expect_eq "${lines[10]}" 5 "bytes from /dev/zero"
	[[ "${lines[11]}" == *"No space left on device"* ]] || { echo "/dev/full: ${lines[11]}"; false; }
	expect_eq "${lines[12]}" tmpfs "/dev/shm"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/dev
}

@test "no_pivot_runs_in_the_rootfs_with_chroot" {
	ARGS="[\"sh\",\"-c\",\"test -x /bin/busybox && ! test -e $WORK && grep -c ' / ' /proc/self/mountinfo\"]" B=$(bundle nopivot)
	run zr run --no-pivot -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/nopivot
}

@test "root_readonly_refuses_writes_to_the_rootfs" {
	ARGS='["sh","-c","touch /x; touch /dev/shm/ok && echo shm-ok"]' READONLY=true B=$(bundle rdonly)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ "$output" == *"/x"*"Read-only file system"* ]] || { echo "expected EROFS on /x"; false; }
	[[ "$output" == *shm-ok* ]]
	[ ! -e "$B/rootfs/x" ]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/rdonly
}

@test "masked_paths_read_empty_and_masked_dirs_are_empty" {
	[ -d /sys/firmware ] && [ -s /proc/keys ] || skip "host lacks /sys/firmware or /proc/keys"
	ARGS='["sh","-c","wc -c < /proc/keys; ls -A /sys/firmware | wc -l; touch /sys/firmware/x"]' B=$(bundle masked)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "${lines[0]}" 0 "bytes of masked /proc/keys"
	expect_eq "${lines[1]}" 0 "entries of masked /sys/firmware"
	[[ "$output" == *"Read-only file system"* ]] || { echo "masked dir writable"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/masked
}

@test "readonly_paths_refuse_writes" {
	ARGS='["sh","-c","echo other > /proc/sys/kernel/hostname; grep \" /proc/sys \" /proc/self/mountinfo | cut -d\" \" -f6; hostname"]' B=$(bundle ropaths)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	[[ "${lines[0]}" == *"Read-only file system"* ]] || { echo "expected EROFS"; false; }
	[[ ",${lines[1]}," == *,ro,* ]] || { echo "/proc/sys options: ${lines[1]}"; false; }
	expect_eq "${lines[2]}" zrun-test "hostname"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ropaths
}

@test "masked_and_readonly_paths_hold_in_a_container_without_proc" {
	# They are made after pivot_root, where the only /proc is the
	# container's: with none, masks were silently left out and readonlyPaths
	# failed with ENOENT.
	[ -d /sys/firmware ] || skip "host lacks /sys/firmware"
	ARGS='["sh","-c","ls -A /sys/firmware | wc -l; wc -c < /etc/secret; touch /etc/new 2>&1; touch /tmp/ok && echo tmp-writable"]'
	B=$(bundle noproc)
	echo "top secret" > "$B/rootfs/etc/secret"
	sed -i '/"destination": "\/proc"/d; s|"maskedPaths": \[[^]]*\]|"maskedPaths": ["/sys/firmware", "/etc/secret", "/proc/kcore"]|; s|"readonlyPaths": \[[^]]*\]|"readonlyPaths": ["/etc", "/proc/sys"]|' "$B/config.json"
	grep -q '"/proc"' "$B/config.json" && { echo "config still mounts /proc"; false; }
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" 0 "entries of masked /sys/firmware"
	expect_eq "${lines[1]}" 0 "bytes of masked /etc/secret"
	[[ "${lines[2]}" == *"Read-only file system"* ]] || { echo "read-only /etc: expected EROFS, saw ${lines[2]}"; false; }
	expect_eq "${lines[3]}" tmp-writable "the rest of the rootfs"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/noproc
}

@test "sysctl_is_set_in_the_containers_namespaces" {
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shm=$(cat /proc/sys/kernel/shmmni)
	ARGS='["cat","/proc/sys/net/ipv4/ip_forward","/proc/sys/kernel/shmmni"]'
	LINUX_EXTRA=',"sysctl":{"net.ipv4.ip_forward":"1","kernel.shmmni":"1234"}'
	B=$(bundle sysctl)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(printf '1\n1234')" "sysctls"
	expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "host ip_forward"
	expect_eq "$(cat /proc/sys/kernel/shmmni)" "$host_shm" "host shmmni"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/sysctl
}

@test "mount_through_an_absolute_symlink_stays_inside_the_rootfs" {
	mkdir "$WORK/hostdir"
	ARGS='["sh","-c","echo marker > /evil/x/m && grep -c tmpfs /proc/self/mountinfo >/dev/null && cat /evil/x/m"]'
	MOUNTS_EXTRA=',{"destination":"/evil/x","type":"tmpfs","source":"tmpfs"}'
	B=$(bundle abslink)
	ln -s "$WORK/hostdir" "$B/rootfs/evil"
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" marker "file on the mount"
	[ -z "$(ls -A "$WORK/hostdir")" ] || { echo "host dir touched: $(ls -A "$WORK/hostdir")"; false; }
	[ -d "$B/rootfs$WORK/hostdir/x" ] || { echo "mount point not made inside the rootfs"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/abslink
}

@test "mount_through_a_relative_dotdot_symlink_stays_inside_the_rootfs" {
	mkdir "$WORK/hostdir"
	echo host-secret > "$WORK/hostdir/secret"
	mkdir -p "$WORK/src"; echo from-src > "$WORK/src/f"
	ARGS='["sh","-c","cat /a/b/evil/f; ls /a/b/evil"]'
	MOUNTS_EXTRA=",{\"destination\":\"/a/b/evil\",\"type\":\"bind\",\"source\":\"$WORK/src\",\"options\":[\"rbind\"]}"
	B=$(bundle rellink)
	mkdir -p "$B/rootfs/a"
	ln -s "../../../../../../../../..$WORK/hostdir" "$B/rootfs/a/b"
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" from-src "file on the bind"
	expect_eq "$(ls -A "$WORK/hostdir")" secret "host dir contents"
	[ -d "$B/rootfs$WORK/hostdir/evil" ] || { echo "mount point not made inside the rootfs"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/rellink
}

# exchange_loop A B STOPFILE: swap directories A and B (renameat2
# RENAME_EXCHANGE) over and over until STOPFILE exists (at most 60 s).
exchange_loop() {
	python3 - "$@" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b, stop = (p.encode() for p in sys.argv[1:4])
end = time.time() + 60
while time.time() < end and not os.path.exists(stop):
    for _ in range(200):
        # renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
        if libc.syscall(316, -100, a, -100, b, 2) != 0:
            sys.exit("renameat2: errno %d" % ctypes.get_errno())
PY
}

@test "rootfs_swapped_during_create_is_never_half_used" {
	# The rootfs directory is exchanged with another one, again and again,
	# while containers are created: each container must get one of the two
	# whole, with the config's mounts made in the root it runs in.
	# A parent cgroup of its own: 60 creates and deletes under $CGROUPS_PATH_PARENT
	# would meet other suites' teardowns removing it while it is empty.
	local parent="zrun-race-$TEST_ID"
	ARGS='["sleep","30"]' MOUNTS_EXTRA=',{"destination":"/mnt/cfg","type":"tmpfs","source":"tmpfs"}'
	CGROUPS_PATH="/$parent/race" B=$(bundle race)
	cp -a "$B/rootfs" "$B/other"
	echo rootfs > "$B/rootfs/marker"; echo other > "$B/other/marker"
	exchange_loop "$B/rootfs" "$B/other" "$WORK/stop" & racer=$!
	local n=0 failed=0 wrong=0 end=$((SECONDS + 20)) pid mi
	while [ "$n" -lt 60 ] && [ "$SECONDS" -lt "$end" ]; do
		n=$((n + 1))
		if ! zr create -b "$B" "$TEST_ID" 2>"$WORK/err"; then
			failed=$((failed + 1)); echo "create $n: $(cat "$WORK/err")"
			zr delete --force "$TEST_ID" 2>/dev/null || true
			continue
		fi
		pid=$(pid_of "$TEST_ID")
		mi=$(cat "/proc/$pid/mountinfo")
		if ! grep -qx 'rootfs\|other' "/proc/$pid/root/marker" ||
		   ! grep -q ' /mnt/cfg ' <<<"$mi" || ! grep -q ' /proc ' <<<"$mi"; then
			wrong=$((wrong + 1))
			echo "create $n: root without its mounts: marker=$(cat "/proc/$pid/root/marker" 2>&1)"
		fi
		zr delete --force "$TEST_ID"
	done
	touch "$WORK/stop"; wait "$racer"
	echo "$n creates: $failed failed, $wrong in a root without the config's mounts"
	expect_eq "$failed $wrong" "0 0" "failed and half-set-up creates"
	[ "$n" -ge 10 ] || { echo "only $n creates in 20 s"; false; }
	assert_gone "$TEST_ID" "/$parent/race"
	for d in /sys/fs/cgroup/*/"$parent"; do [ ! -d "$d" ] || rmdir "$d"; done
	if grep " $WORK" /proc/self/mountinfo; then echo "mounts left under $WORK"; false; fi
}
