#!/usr/bin/env bats
# zrun run by an ordinary user (docs/rootless.md): two real users made for
# this file (zrunrl-a<pid> with a /etc/subuid and /etc/subgid range,
# zrunrl-b<pid> with none), zrun run as them through runuser: the id maps,
# the state root, the lifecycle, processes found without a cgroup, resources
# ignored as runc and crun do, one-line errors for what needs root, a
# service swapped under load. Nothing may be left: no state, no process of
# the user, no user. Ports 19560-19579 (19560 + test number).

PORT_BASE=19560
load service_helpers

setup_file() {
	command -v newuidmap >/dev/null || skip "newuidmap is not installed (Debian package uidmap)"
	export RL_USER=zrunrl-a$$ RL_NOSUB=zrunrl-b$$
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$RL_USER"
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$RL_NOSUB"
	# useradd gives each a range when login.defs says so (Debian's does):
	# make sure of the first one's, remove the second one's.
	if ! grep -q "^$RL_USER:" /etc/subuid; then
		usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$RL_USER"
	fi
	local r
	for r in $(awk -F: -v u="$RL_NOSUB" '$1 == u { print $2 "-" $2 + $3 - 1 }' /etc/subuid); do
		usermod --del-subuids "$r" "$RL_NOSUB"
	done
	for r in $(awk -F: -v u="$RL_NOSUB" '$1 == u { print $2 "-" $2 + $3 - 1 }' /etc/subgid); do
		usermod --del-subgids "$r" "$RL_NOSUB"
	done
}

teardown_file() {
	local u
	for u in "$RL_USER" "$RL_NOSUB"; do
		kill_user_processes "$u"
		userdel "$u" 2>/dev/null || true
		# userdel removes the ranges too; an older shadow may not
		sed -i "/^$u:/d" /etc/subuid /etc/subgid
	done
}

setup() {
	setup_common
	U=$RL_USER
	chown "$U:" "$WORK"
	XDG=$WORK/xdg
	WRK_PID=
}

teardown() {
	local ok=0 u left d
	[ -z "$WRK_PID" ] || { kill "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null || true; }
	for u in "$RL_USER" "$RL_NOSUB"; do
		for id in $(runuser -u "$u" -- "$ZRUN" --root "$ROOT" list -q 2>/dev/null); do
			runuser -u "$u" -- "$ZRUN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { echo "left in $ROOT: $(ls -A "$ROOT")" >&2; ok=1; }
	for u in "$RL_USER" "$RL_NOSUB"; do
		left=$(user_processes "$u")
		for _ in $(seq 50); do [ -z "$left" ] && break; sleep 0.1; left=$(user_processes "$u"); done
		[ -z "$left" ] || { echo "processes of $u left: $left" >&2; ok=1; kill_user_processes "$u"; }
	done
	grep -q "$WORK" /proc/self/mountinfo && { echo "mount under $WORK left" >&2; ok=1; }
	# the delegated subtree of a failed test (children first)
	if [ -n "${D:-}" ] && [ -d "$D" ]; then
		for d in $(find "$D" -mindepth 1 -type d | sort -r) "$D"; do rmdir "$d" 2>/dev/null || true; done
		[ ! -d "$D" ] || { echo "cgroup $D left" >&2; ok=1; }
	fi
	rm -rf "$WORK"
	return $ok
}

# Processes of user U (their uid, or a uid of the range the user's
# containers map), except zombies: pid 1 here reaps no orphan (FACTS).
user_processes() {
	local uid
	uid=$(id -u "$1")
	ps -eo pid=,uid=,stat=,comm= | awk -v u="$uid" '$2 == u && $3 !~ /Z/ { print $1 "(" $4 ")" }'
}

# SIGKILL each process of user U (made by this file), by pid.
kill_user_processes() {
	local p uid
	uid=$(id -u "$1" 2>/dev/null) || return 0
	for p in $(ps -eo pid=,uid= | awk -v u="$uid" '$2 == u { print $1 }'); do
		kill -9 "$p" 2>/dev/null || true
	done
}

# as USER CMD...: CMD as USER, with this test's XDG_RUNTIME_DIR.
as() {
	local u=$1
	shift
	runuser -u "$u" -- env XDG_RUNTIME_DIR="$XDG" "$@"
}

ur() { as "$U" "$ZRUN" --root "$ROOT" "$@"; }  # zrun as the user, this test's root

# rl_bundle NAME [write_config vars...]: a busybox bundle owned by the user,
# with no linux.cgroupsPath (an ordinary user can make none here).
rl_bundle() {
	local dir=$WORK/$1 a
	shift
	make_rootfs "$dir"
	( for a in "$@"; do export "${a?}"; done; write_config "$dir" )
	sed -i '/"cgroupsPath"/d' "$dir/config.json"
	chown -R "$U:" "$dir"
	echo "$dir"
}

# The user's range in FILE: "START COUNT".
subid_range() { awk -F: -v u="$U" '$1 == u { print $2, $3; exit }' "$1"; }

@test "rootless_run_maps_root_to_the_user_and_the_rest_to_its_subuid_range" {
	local b uid gid want_u want_g
	b=$(rl_bundle b1 ARGS='["sh","-c","cat /proc/self/uid_map /proc/self/gid_map; id -u"]')
	uid=$(id -u "$U")
	gid=$(id -g "$U")
	run ur run -b "$b" c1
	[ "$status" -eq 0 ] || { echo "run failed: $output" >&2; false; }
	read -r us uc <<<"$(subid_range /etc/subuid)"
	read -r gs gc <<<"$(subid_range /etc/subgid)"
	want_u="0 $uid 1|1 $us $uc"
	want_g="0 $gid 1|1 $gs $gc"
	expect_eq "$(echo "$output" | sed -n 1,2p | awk '{ print $1, $2, $3 }' | paste -sd'|')" "$want_u" "uid_map"
	expect_eq "$(echo "$output" | sed -n 3,4p | awk '{ print $1, $2, $3 }' | paste -sd'|')" "$want_g" "gid_map"
	expect_eq "$(echo "$output" | sed -n 5p)" 0 "id -u in the container"
}

@test "rootless_without_subuid_maps_only_the_users_own_id" {
	local b uid
	U=$RL_NOSUB
	chown "$U:" "$WORK"
	b=$(rl_bundle b1 ARGS='["sh","-c","cat /proc/self/uid_map /proc/self/setgroups; id -u"]')
	uid=$(id -u "$U")
	run ur run -b "$b" c1
	[ "$status" -eq 0 ] || { echo "run failed: $output" >&2; false; }
	expect_eq "$(echo "$output" | awk 'NR == 1 { print $1, $2, $3 }')" "0 $uid 1" "uid_map"
	expect_eq "$(echo "$output" | wc -l)" 3 "lines (a single mapping, setgroups, id)"
	# the kernel takes an unprivileged gid_map only with setgroups denied
	expect_eq "$(echo "$output" | sed -n 2p)" deny "setgroups"
	# a wider map than the user's own id needs a range newuidmap allows
	b=$(rl_bundle b2 LINUX_EXTRA=',"uidMappings":[{"containerID":0,"hostID":'"$uid"',"size":1},{"containerID":1,"hostID":400000,"size":10}],"gidMappings":[{"containerID":0,"hostID":'"$(id -g "$U")"',"size":1}]')
	run ur run -b "$b" c2
	assert_one_line_error "newuidmap"
	[ ! -e "$ROOT/c2" ] || { echo "state of c2 left" >&2; false; }
}

@test "rootless_default_maps_name_the_user_from_etc_passwd_without_nss" {
	local b
	# a user whose only map is its own id: no setuid newuidmap, which
	# would not run setuid under strace
	U=$RL_NOSUB
	chown "$U:" "$WORK"
	b=$(rl_bundle b1 ARGS='["true"]')
	# getpwuid() reads /etc/nsswitch.conf and loads libnss_* modules, which
	# a static zrun cannot (runtime/passwd.h)
	as "$U" strace -qq -e trace=open,openat -o "$WORK/trace" "$ZRUN" --root "$ROOT" run -b "$b" c1 \
		> "$WORK/out" 2>&1 || { cat "$WORK/out" >&2; false; }
	expect_eq "$(grep -cE 'nsswitch|libnss_' "$WORK/trace")" 0 "opens of nsswitch.conf or libnss_*"
}

@test "rootless_time_namespace_is_made_and_its_offsets_refused" {
	local b
	b=$(rl_bundle b1 ARGS='["readlink","/proc/self/ns/time"]' \
		NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"time"}]')
	run ur run -b "$b" c1
	[ "$status" -eq 0 ] || { echo "run failed: $output" >&2; false; }
	[ "$output" != "$(readlink /proc/self/ns/time)" ] ||
		{ echo "expected a time namespace other than the host's, saw $output" >&2; false; }
	b=$(rl_bundle b2 NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"time"}]' \
		LINUX_EXTRA=',"timeOffsets":{"monotonic":{"secs":3600}}')
	run ur run -b "$b" c2
	assert_one_line_error "linux.timeOffsets: without root zrun makes the time namespace at the clone"
	[ ! -e "$ROOT/c2" ] || { echo "state of c2 left" >&2; false; }
}

@test "rootless_state_root_is_xdg_runtime_dir_then_tmp_and_never_another_users" {
	local b uid
	b=$(rl_bundle b1)
	uid=$(id -u "$U")
	as "$U" mkdir -m 700 "$XDG"
	as "$U" "$ZRUN" create -b "$b" c2
	[ -f "$XDG/zrun/c2/state.json" ] || { echo "expected $XDG/zrun/c2/state.json; saw: $(ls -R "$XDG")" >&2; false; }
	as "$U" "$ZRUN" delete --force c2
	# no XDG_RUNTIME_DIR: /tmp/zrun-UID, made by zrun, the user's alone
	[ ! -e "/tmp/zrun-$uid" ] || skip "/tmp/zrun-$uid exists already"
	runuser -u "$U" -- env -u XDG_RUNTIME_DIR "$ZRUN" create -b "$b" c3
	expect_eq "$(stat -c '%U %a' "/tmp/zrun-$uid")" "$U 700" "owner and mode of /tmp/zrun-$uid"
	[ -f "/tmp/zrun-$uid/c3/state.json" ] || { echo "no /tmp/zrun-$uid/c3/state.json" >&2; false; }
	runuser -u "$U" -- env -u XDG_RUNTIME_DIR "$ZRUN" delete c3
	rm -rf "/tmp/zrun-$uid"
	# someone else's /tmp/zrun-UID (planted before the user came) is refused
	mkdir -m 755 "/tmp/zrun-$uid"
	run runuser -u "$U" -- env -u XDG_RUNTIME_DIR "$ZRUN" create -b "$b" c4
	rmdir "/tmp/zrun-$uid"
	assert_one_line_error "owned by uid 0"
}

@test "rootless_create_start_exec_kill_delete" {
	local b pid
	b=$(rl_bundle b1 ARGS='["sleep","100"]')
	ur create -b "$b" c1
	expect_eq "$(ur state c1 | jq -r .status)" created "status after create"
	ur start c1
	expect_eq "$(ur state c1 | jq -r .status)" running "status after start"
	pid=$(ur state c1 | jq -r .pid)
	expect_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$(id -u "$U")" "host uid of the init"
	expect_eq "$(ur exec c1 id -u)" 0 "id -u through exec"
	expect_eq "$(ur exec c1 cat /proc/1/cmdline | tr '\0' ' ')" "sleep 100 " "pid 1 seen by exec"
	ur kill c1 KILL
	wait_until 5 eval '[ "$(ur state c1 | jq -r .status)" = stopped ]'
	ur delete c1
	[ ! -e "$ROOT/c1" ] || { echo "state of c1 left" >&2; false; }
}

@test "rootless_kill_all_and_ps_find_every_process_without_a_cgroup" {
	local b pids n
	b=$(rl_bundle b1 ARGS='["sh","-c","sleep 100 & sleep 100 & exec sleep 100"]')
	ur run -d -b "$b" c1 </dev/null >/dev/null 2>&1
	wait_until 5 eval '[ "$(ur ps --format json c1 | jq length)" = 3 ]'
	pids=$(ur ps --format json c1 | jq -r '.[]')
	ur kill --all c1 KILL
	for p in $pids; do
		wait_until 5 eval "! alive $p" || { echo "process $p of c1 survived kill --all" >&2; false; }
	done
	ur delete c1
	# a container sharing the user's pid namespace is its init alone
	b=$(rl_bundle b2 ARGS='["sleep","100"]' NAMESPACES='[{"type":"mount"},{"type":"uts"}]')
	# proc is mounted only by the owner of the pid namespace (the host's here)
	sed -i '\|"destination": "/proc"|d' "$b/config.json"
	ur run -d -b "$b" c2 </dev/null >/dev/null 2>&1
	n=$(ur ps --format json c2 | jq -r '.[]')
	expect_eq "$n" "$(ur state c2 | jq -r .pid)" "ps of a container in the host's pid namespace"
	ur delete --force c2
}

@test "rootless_container_joins_another_ones_user_network_and_pid_namespaces" {
	local b pid want got
	b=$(rl_bundle b1 ARGS='["sleep","100"]')
	ur run -d -b "$b" c1 </dev/null >/dev/null 2>&1
	pid=$(ur state c1 | jq -r .pid)
	# a pod: the second container shares the first one's user and network
	# namespaces, with pid, mount, uts and ipc namespaces of its own
	b=$(rl_bundle b2 ARGS='["sh","-c","readlink /proc/self/ns/user; readlink /proc/self/ns/net; id -u"]' \
		NAMESPACES='[{"type":"user","path":"/proc/'"$pid"'/ns/user"},{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"ipc"},{"type":"network","path":"/proc/'"$pid"'/ns/net"}]')
	run ur run -b "$b" c2
	[ "$status" -eq 0 ] || { echo "run failed: $output" >&2; false; }
	want="$(readlink "/proc/$pid/ns/user")|$(readlink "/proc/$pid/ns/net")|0"
	got=$(echo "$output" | paste -sd'|')
	expect_eq "$got" "$want" "user and network namespaces of c2, and its uid"
	# and its pid namespace too (crun 1.8.1 cannot: EPERM on the setns)
	b=$(rl_bundle b3 ARGS='["sh","-c","xargs -0 < /proc/1/cmdline"]' \
		NAMESPACES='[{"type":"user","path":"/proc/'"$pid"'/ns/user"},{"type":"pid","path":"/proc/'"$pid"'/ns/pid"},{"type":"mount"},{"type":"uts"}]')
	run ur run -b "$b" c3
	[ "$status" -eq 0 ] || { echo "run failed: $output" >&2; false; }
	expect_eq "$output" "sleep 100" "pid 1 seen from c3"
	ur delete --force c1
}

@test "rootless_resources_are_ignored_and_cgroup_commands_say_why" {
	local b
	b=$(rl_bundle b1 ARGS='["sh","-c","cat /proc/self/cgroup; sleep 100"]' \
		RESOURCES='{"memory":{"limit":67108864},"pids":{"limit":50}}')
	ur run -d -b "$b" c1 </dev/null > "$WORK/out" 2>&1
	wait_until 5 grep -q memory "$WORK/out"
	# the memory line is the caller's own cgroup: none was made for c1
	expect_eq "$(grep ':memory:' "$WORK/out" | cut -d: -f3)" \
		"$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)" "memory cgroup of c1"
	run ur pause c1
	assert_one_line_error "no cgroup to freeze"
	run ur update --memory 100000000 c1
	assert_one_line_error "no cgroup to apply them to"
	run ur events --stats c1
	assert_one_line_error "no cgroup to read stats from"
	expect_eq "$(ur state c1 | jq -r .status)" running "status after the refusals"
	ur delete --force c1
}

# The one cgroup2 mount of this hybrid host (hugetlb only) stands for a v2
# host (ZRUN_CGROUP_MOUNT, runtime/cgroup.h); D is delegated to the user as
# systemd delegates user@UID.service: the directory and its cgroup.procs,
# cgroup.subtree_control and cgroup.threads are the user's.
@test "rootless_uses_a_delegated_cgroup_v2_subtree_and_removes_what_it_made" {
	local mnt=/sys/fs/cgroup/unified b out
	[ "$(stat -fc %T "$mnt" 2>/dev/null)" = cgroup2fs ] || skip "no cgroup2 mount at $mnt"
	D=$mnt/zrunrl-$$-$BATS_TEST_NUMBER
	mkdir "$D" "$D/shell"
	chown "$U:" "$D" "$D"/cgroup.{procs,subtree_control,threads} "$D/shell" "$D"/shell/cgroup.{procs,threads}
	b=$(rl_bundle b1 ARGS='["sh","-c","grep ^0:: /proc/self/cgroup; sleep 100 & wait"]')
	# a caller inside the subtree (a user service): zrun/<id> beside it
	sh -c 'echo $$ > "$1/shell/cgroup.procs"; shift; exec "$@"' sh "$D" \
		runuser -u "$U" -- env ZRUN_CGROUP_MOUNT="$mnt" "$ZRUN" --root "$ROOT" run -d -b "$b" c1 \
		</dev/null > "$WORK/out" 2>&1
	wait_until 5 grep -q '^0::' "$WORK/out"
	expect_eq "$(cat "$WORK/out")" "0::/${D#"$mnt"/}/zrun/c1" "cgroup of c1"
	expect_eq "$(as "$U" env ZRUN_CGROUP_MOUNT="$mnt" "$ZRUN" --root "$ROOT" ps --format json c1 | jq length)" 2 "processes of c1"
	as "$U" env ZRUN_CGROUP_MOUNT="$mnt" "$ZRUN" --root "$ROOT" delete --force c1
	[ ! -d "$D/zrun/c1" ] || { echo "cgroup $D/zrun/c1 left" >&2; false; }
	# outside it (the root cgroup of the mount): no cgroup, as on v1
	b=$(rl_bundle b2 ARGS='["grep","^0::","/proc/self/cgroup"]')
	out=$(as "$U" env ZRUN_CGROUP_MOUNT="$mnt" "$ZRUN" --root "$ROOT" run -b "$b" c2)
	expect_eq "$out" "0::/" "cgroup of c2, run from outside the delegated subtree"
	rmdir "$D/zrun" "$D/shell" "$D"
}

# refused NAME WANT [write_config vars...]: `run` of a bundle with those
# settings, as the user, fails in one line that says WANT; no state is left.
refused() {
	local name=$1 want=$2 b
	shift 2
	b=$(rl_bundle "$name" "$@")
	run ur run -b "$b" "$name"
	assert_one_line_error "$want" || return 1
	[ ! -e "$ROOT/$name" ] || { echo "state of $name left" >&2; return 1; }
}

@test "rootless_refuses_what_needs_root_with_one_line_errors" {
	local b hard
	b=$(rl_bundle cg)
	sed -i 's|"linux": {|"linux": { "cgroupsPath": "'"$CGROUPS_PATH_PARENT"'/rl", |' "$b/config.json"
	run ur run -b "$b" c1
	assert_one_line_error "linux.cgroupsPath $CGROUPS_PATH_PARENT/rl: cgroup $CGROUPS_PATH_PARENT/rl cannot be made by uid"
	if [ -c /dev/kvm ] && ! as "$U" test -r /dev/kvm; then
		refused kvm "linux.devices[0] /dev/kvm: uid $(id -u "$U") cannot open the host's node" \
			LINUX_EXTRA=',"devices":[{"path":"/dev/kvm","type":"c","major":10,"minor":232}]'
	fi
	refused nul "/dev/null: the host's node is not the requested c 1:5" \
		LINUX_EXTRA=',"devices":[{"path":"/dev/null","type":"c","major":1,"minor":5}]'
	refused ext4 "mount ext4 (not allowed in a user namespace: needs root on the host)" \
		MOUNTS_EXTRA=',{"destination":"/mnt","type":"ext4","source":"/dev/zrun-none"}'
	refused net "network namespace /proc/1/ns/net: Permission denied" \
		NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"network","path":"/proc/1/ns/net"}]'
	refused oom "process.oomScoreAdj -100: lowering it needs CAP_SYS_RESOURCE" \
		PROCESS_EXTRA=',"oomScoreAdj":-100'
	hard=$(( $(ulimit -Hn) + 1 ))
	refused rlim "process.rlimits: RLIMIT_NOFILE: hard limit $hard above the current" \
		PROCESS_EXTRA=',"rlimits":[{"type":"RLIMIT_NOFILE","hard":'"$hard"',"soft":1024}]'
	b=$(rl_bundle svc)
	run ur create --service rl --listen tcp://127.0.0.1:80 c6 "$b"
	assert_one_line_error "listener tcp://127.0.0.1:80: ports below"
	[ -z "$(ls -A "$ROOT" 2>/dev/null | grep -v '^\.services$')" ] || { echo "left: $(ls -A "$ROOT")" >&2; false; }
	[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ] || { echo "service left: $(ls -A "$ROOT/.services")" >&2; false; }
}

# rl_version NAME: a bundle of the demo httpd answering NAME.
rl_version() {
	local dir=$WORK/b-$1
	mkdir -p "$dir"
	ln -sfn "$WORK/rootfs" "$dir/rootfs"
	ARGS="[\"/httpd\",\"--version-name\",\"$1\"]" NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"}]' \
		write_config "$dir"
	sed -i '/"cgroupsPath"/d' "$dir/config.json"
	chown -R "$U:" "$dir"
	echo "$dir"
}

@test "rootless_service_swaps_under_load_fail_no_request" {
	[ -x "$HTTPD" ] || skip "bundles/out/httpd is not built"
	command -v wrk >/dev/null || skip "wrk is not installed"
	local i prev=v0 sup uid
	PORT=$((PORT_BASE + ${PORT_SHIFT:-0} + BATS_TEST_NUMBER))
	URL=http://127.0.0.1:$PORT
	uid=$(id -u "$U")
	make_rootfs "$WORK/base"
	mv "$WORK/base/rootfs" "$WORK/rootfs"
	cp "$HTTPD" "$WORK/rootfs/httpd"
	chown -R "$U:" "$WORK/rootfs"
	ur create --service api --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms \
		--probe-failure-threshold 100 v0 "$(rl_version v0)"
	ur start v0
	wait_serving "$URL/" v0
	# the service's own processes are the user's too
	for sup in $(cat "$ROOT"/.services/*/service.json | grep -o '"supervisor_pid":[0-9]*' | cut -d: -f2); do
		expect_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$sup/status")" "$uid" "uid of the supervisor $sup"
	done
	wrk_start
	for i in 1 2 3 4 5; do
		ur create --service api --probe-period 50ms --probe-failure-threshold 100 "v$i" "$(rl_version "v$i")"
		ur swap "$prev" "v$i" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; false; }
		[ ! -e "$ROOT/$prev" ] || { echo "state of $prev left after the swap" >&2; false; }
		prev=v$i
	done
	sleep 0.3
	wrk_stop
	wait_serving "$URL/" v5
	ur delete --force v5
	wait_until 5 eval '[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ]'
}

@test "rootless_podman_runs_zrun_as_its_runtime" {
	command -v podman >/dev/null || skip "podman is not installed"
	local home=$WORK/home uid out
	uid=$(id -u "$U")
	mkdir -p "$home" "$XDG"
	chmod 700 "$XDG"
	chown "$U:" "$home" "$XDG"
	make_rootfs "$WORK/img"
	tar -C "$WORK/img/rootfs" -cf "$WORK/img.tar" .
	chown "$U:" "$WORK/img.tar"
	# rootless podman: storage in HOME, state in XDG_RUNTIME_DIR, no
	# systemd (FACTS); it runs zrun as uid 0 of its own user namespace
	pod() {
		runuser -u "$U" -- env HOME="$home" XDG_RUNTIME_DIR="$XDG" timeout 120 podman \
			--runtime "$ZRUN" --storage-driver vfs --cgroup-manager cgroupfs \
			--events-backend file "$@"
	}
	pod import "$WORK/img.tar" localhost/zrunrl:1 >/dev/null
	out=$(pod run --rm --network none localhost/zrunrl:1 sh -c 'id -u; head -1 /proc/self/uid_map')
	expect_eq "$(echo "$out" | sed -n 1p)" 0 "id -u in the podman container"
	expect_eq "$(echo "$out" | sed -n 2p | awk '{ print $1, $2, $3 }')" "0 $uid 1" "uid_map"
	pod run -d --name rl1 --network none localhost/zrunrl:1 sleep 100 >/dev/null
	expect_eq "$(pod exec rl1 sh -c 'echo exec-ok')" exec-ok "podman exec"
	expect_eq "$(pod ps --format '{{.Names}}')" rl1 "podman ps"
	pod stop -t 1 rl1 >/dev/null 2>&1
	pod rm rl1 >/dev/null
	expect_eq "$(pod ps -a -q)" "" "containers left in podman"
	# podman's pause process keeps its user namespace; this test ends it
	local pause
	pause=$(cat "$XDG/libpod/tmp/pause.pid" 2>/dev/null || true)
	[ -z "$pause" ] || kill "$pause" 2>/dev/null || true
}
