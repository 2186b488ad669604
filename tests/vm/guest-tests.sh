#!/bin/sh
# The cgroup v2 tests, run by busybox ash inside the qemu guest (see run.sh).
# Prints TAP lines only ("ok N - name" / "not ok N - name" with "#" lines
# saying what was expected and what was seen): the serial console is slow.
# Ends with the line "# zrun-vm-done" so the host knows the guest finished.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
CG=/sys/fs/cgroup
ZRUN=/bin/zrun
R=/run/zrun-vm           # zrun --root
B=/tmp/bundles           # bundles
n=0

ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
diag()   { echo "#   $*"; }
diag_file() {  # the last lines of a log, few: the console is slow
	[ -s "$1" ] && tail -n "${2:-5}" "$1" | cut -c1-200 | sed 's/^/#   | /'
}
# check NAME EXPECTED SAW: ok when equal
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "expected '$2', saw '$3'"; fi
}

# ---------------------------------------------------------------------------
# 1. cgroup2 itself

t_cgroup2_mounted() {
	local fstype
	fstype=$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts)
	check "cgroup2 is mounted at /sys/fs/cgroup" cgroup2 "$fstype"
}

t_controllers() {
	local c missing=""
	for c in cpu memory pids io cpuset; do
		grep -qw "$c" $CG/cgroup.subtree_control || missing="$missing $c"
	done
	if [ -z "$missing" ]; then
		ok "controllers enabled in the root cgroup.subtree_control"
	else
		not_ok "controllers enabled in the root cgroup.subtree_control"
		diag "missing:$missing; controllers '$(cat $CG/cgroup.controllers)'," \
			"subtree_control '$(cat $CG/cgroup.subtree_control)'"
	fi
}

# ---------------------------------------------------------------------------
# 2. the unit test binaries, their TAP lines renumbered and prefixed

t_unit() {  # binary [seconds it may take, default 60]
	local bin=$1 name rc line out=/tmp/unit.out nok=0 nfail=0
	name=$(basename "$bin")
	timeout "${2:-60}" "$bin" >$out 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*)     nok=$((nok + 1)); ok "$name: ${line#* - }" ;;
		"not ok "*) nfail=$((nfail + 1)); not_ok "$name: ${line#* - }" ;;
		"#"*)       echo "$line" | cut -c1-200 ;;
		esac
	done <$out
	if [ $rc -ne 0 ] && [ $nfail -eq 0 ]; then
		not_ok "$name exits 0"
		diag "exit status $rc after $nok passing tests$([ $rc -eq 143 ] && echo ' (timed out)')"
		diag_file $out
	elif [ $((nok + nfail)) -eq 0 ]; then
		not_ok "$name prints TAP lines"
		diag "no ok/not ok line, exit status $rc"
		diag_file $out
	fi
}

t_units() {
	local t
	[ -x /tests/test_cgroup ] || {
		not_ok "test_cgroup is in the VM"
		diag "build/tests/test_cgroup was not built when the VM was made"
	}
	for t in /tests/test_*; do
		# test_steer runs last (t_steer), after zrun's own tests
		[ "${t##*/}" = test_steer ] && continue
		[ -x "$t" ] && t_unit "$t"
	done
}

# test_steer makes 22,500 loopback connections: about 22 s here under TCG
# (0.3 s on the host), more on a loaded host. It runs after zrun's tests,
# so that it cannot eat their time budget, with 120 s of its own (run.sh
# gives qemu 420 s: BUDGET, a last zrun call and this fit). It once hung
# here for good: the guest's loopback was down (every connect failed) and
# its migration case blocked in accept() for connections never made.
t_steer() {
	[ -x /tests/test_steer ] && t_unit /tests/test_steer 120
}

# ---------------------------------------------------------------------------
# 3. zrun itself on cgroup v2

# bundle ID ARGS_JSON [RESOURCES_JSON] [NAMESPACES_JSON]: makes $B/ID, its
# rootfs a copy of $ROOTFS (default $B/rootfs, busybox)
bundle() {
	local id=$1 args=$2 res=${3:-'{}'}
	local ns=${4:-'[{"type": "pid"}, {"type": "mount"}, {"type": "ipc"},
	                {"type": "uts"}, {"type": "network"}, {"type": "cgroup"}]'}
	rm -rf "$B/$id"
	mkdir -p "$B/$id"
	cp -a "${ROOTFS:-$B/rootfs}" "$B/$id/rootfs"
	cat >"$B/$id/config.json" <<EOF
{
	"ociVersion": "1.2.0",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": $args,
		"env": ["PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/"],
		"cwd": "/"
	},
	"root": {"path": "rootfs"},
	"hostname": "$id",
	"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
	"linux": {
		"namespaces": $ns,
		"cgroupsPath": "/zrun-vm/$id",
		"resources": $res
		${LINUX_EXTRA:-}
	}
}
EOF
}

make_rootfs() {
	local a
	mkdir -p $B/rootfs/bin $B/rootfs/proc $B/rootfs/dev $B/rootfs/tmp
	cp /bin/busybox $B/rootfs/bin/busybox
	for a in $(busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$B/rootfs/bin/$a"
	done
	# ash opens /dev/null for background jobs; the config mounts no /dev.
	mknod -m 666 $B/rootfs/dev/null c 1 3
	mknod -m 666 $B/rootfs/dev/zero c 1 5
}

# Each zrun call gets 15 s; after BUDGET s of guest uptime zrun is no longer
# called (its tests fail at once), so that a hanging zrun cannot push the VM
# past the host's timeout and lose the TAP lines of the tests that ran.
BUDGET=200
budget_spent() { [ "$(cut -d. -f1 /proc/uptime)" -ge $BUDGET ]; }
# z ARGS...: zrun with a time limit, its output in /tmp/z.log; returns its status
z() {
	if budget_spent; then
		echo "not run: the guest's ${BUDGET} s time budget is spent" >/tmp/z.log
		return 124
	fi
	timeout 15 $ZRUN --root $R "$@" </dev/null >/tmp/z.log 2>&1
}
# zq ARGS...: like z, its output appended to /tmp/zq.log, for cleanups
zq() {
	budget_spent && return 124
	timeout 15 $ZRUN --root $R "$@" </dev/null >>/tmp/zq.log 2>&1
}
zfail() {  # what was run, its status: the diagnostics
	diag "'zrun $1' exited $2$([ "$2" = 143 ] && echo ' (killed after 15 s)')"
	diag_file /tmp/z.log 4
}

# create ID / start ID: print nothing, or diagnostics and return non-zero
create() {
	local rc
	z create --bundle "$B/$1" "$1"; rc=$?
	[ $rc -eq 0 ] || { zfail "create --bundle $B/$1 $1" $rc; return 1; }
}
start() {
	local rc
	z start "$1"; rc=$?
	[ $rc -eq 0 ] || { zfail "start $1" $rc; return 1; }
}
# state_field ID FIELD: a field of `zrun state`'s JSON (string or number)
state_field() {
	z state "$1" || return 1
	tr -d '\n' </tmp/z.log |
		sed -n "s/.*\"$2\" *: *\"\{0,1\}\([^\",}]*\).*/\1/p"
}
cleanup() {  # ID: force-delete, quietly
	zq kill "$1" SIGKILL
	zq delete --force "$1"
	rm -rf "$B/$1"
}
# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds
wait_for() {
	local i=0 max=$(($1 * 10)); shift
	while ! "$@"; do
		i=$((i + 1)); [ $i -ge $max ] && return 1
		sleep 0.1
	done
}
procs_empty() { [ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }  # (cgroup files have size 0)
oom_killed() { [ "$(awk '$1 == "oom_kill" { print $2 }' "$1/memory.events")" -ge 1 ] 2>/dev/null; }

have_zrun() {  # NAME: zrun exists, else a failing test NAME
	[ -x $ZRUN ] && return 0
	not_ok "$1"; diag "no zrun binary in the VM (\$ZRUN was missing on the host)"
	return 1
}

# (a) run: exit statuses
t_run_status() {
	local name="zrun run: /bin/true exits 0, sh -c 'exit 3' exits 3" rc1 rc2
	have_zrun "$name" || return
	bundle run-true '["/bin/true"]'
	bundle run-three '["/bin/sh", "-c", "exit 3"]'
	z run --bundle $B/run-true run-true; rc1=$?
	cp /tmp/z.log /tmp/z1.log
	z run --bundle $B/run-three run-three; rc2=$?
	if [ $rc1 -eq 0 ] && [ $rc2 -eq 3 ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "expected exit statuses 0 and 3, saw $rc1 and $rc2"
		diag_file /tmp/z1.log 3; diag_file /tmp/z.log 3
	fi
	cleanup run-true; cleanup run-three
}

# (b) memory.max
t_memory_max() {
	local id=mem-max name="linux.resources.memory.limit sets memory.max"
	have_zrun "$name" || return
	bundle $id '["/bin/sleep", "1000"]' '{"memory": {"limit": 33554432}}'
	if create $id; then
		check "$name" 33554432 "$(cat $CG/zrun-vm/$id/memory.max 2>&1)"
	else
		not_ok "$name"
	fi
	cleanup $id
}

# (c) pids.max and a fork loop that hits it
t_pids_max() {
	local id=pids-max cg=$CG/zrun-vm/pids-max name="pids.limit 20: pids.max is 20, a fork loop stays within it"
	local max cur peak=0 i=0 events
	have_zrun "$name" || return
	# ash exits when a fork fails: the loop runs in a subshell, the init then
	# execs (a fork would fail) and keeps the pid namespace alive.
	bundle $id '["/bin/sh", "-c", "(for i in $(seq 100); do sleep 5 & done) 2>/dev/null; exec sleep 10"]' \
		'{"pids": {"limit": 20}}'
	if ! create $id; then not_ok "$name"; cleanup $id; return; fi
	max=$(cat $cg/pids.max 2>&1)
	if ! start $id; then not_ok "$name"; cleanup $id; return; fi
	while [ $i -lt 30 ]; do  # 3 s of samples
		cur=$(cat $cg/pids.current 2>/dev/null || echo 0)
		[ "$cur" -gt "$peak" ] && peak=$cur
		sleep 0.1; i=$((i + 1))
	done
	events=$(awk '$1 == "max" { print $2 }' $cg/pids.events 2>/dev/null)
	if [ "$max" = 20 ] && [ "$peak" -le 20 ] && [ "$peak" -ge 10 ] && [ "${events:-0}" -ge 1 ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "expected pids.max 20, peak pids.current 10..20, pids.events max >= 1;" \
			"saw '$max', $peak, '${events}'"
	fi
	cleanup $id
}

# (d) the init is in the container's cgroup from the start (CLONE_INTO_CGROUP)
t_clone_into_cgroup() {
	local id=into-cg name="after create the init is in 0::/zrun-vm/into-cg" pid status
	have_zrun "$name" || return
	bundle $id '["/bin/sleep", "1000"]'
	if ! create $id; then not_ok "$name"; cleanup $id; return; fi
	pid=$(state_field $id pid)
	status=$(state_field $id status)
	if [ -z "$pid" ] || [ "$pid" -le 0 ] 2>/dev/null; then
		not_ok "$name"; diag "no pid in 'zrun state $id'"; diag_file /tmp/z.log 4
	elif [ "$status" != created ]; then
		not_ok "$name"; diag "expected state status 'created', saw '$status'"
	else
		check "$name" "0::/zrun-vm/$id" "$(cat /proc/$pid/cgroup 2>&1)"
	fi
	cleanup $id
}

# (e) the OOM killer acts within memory.max
t_oom() {
	local id=oom cg=$CG/zrun-vm/oom name="memory.limit 16 MiB: a 64 MiB allocation is OOM-killed"
	have_zrun "$name" || return
	# ash doubles a string up to 64 MiB: anonymous memory, really touched.
	bundle $id '["/bin/sh", "-c", "x=a; i=0; while [ $i -lt 26 ]; do x=$x$x; i=$((i+1)); done; echo survived"]' \
		'{"memory": {"limit": 16777216}}'
	if create $id && start $id; then
		if wait_for 20 oom_killed $cg; then
			ok "$name"
		else
			not_ok "$name"
			diag "expected memory.events oom_kill >= 1; saw: $(tr '\n' ' ' <$cg/memory.events 2>&1)"
			diag "memory.max '$(cat $cg/memory.max 2>&1)', memory.peak '$(cat $cg/memory.peak 2>&1)'"
		fi
	else
		not_ok "$name"
	fi
	cleanup $id
}

# (f) kill --all reaches every process of the cgroup. No pid namespace here:
# killing the init alone would then leave its children running.
t_kill_all() {
	local id=kill-all cg=$CG/zrun-vm/kill-all name="kill --all SIGKILL empties the cgroup (no pid namespace)"
	local rc nprocs
	have_zrun "$name" || return
	bundle $id '["/bin/sh", "-c", "sleep 1000 & sleep 1000 & sleep 1000 & wait"]' '{}' \
		'[{"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"}, {"type": "cgroup"}]'
	if ! { create $id && start $id; }; then not_ok "$name"; cleanup $id; return; fi
	if ! wait_for 10 sh -c "[ \$(wc -l <$cg/cgroup.procs) -ge 4 ]"; then
		not_ok "$name"; diag "expected 4 processes in $cg, saw $(wc -l <$cg/cgroup.procs 2>&1)"
		cleanup $id; return
	fi
	z kill --all $id SIGKILL; rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name"; zfail "kill --all $id SIGKILL" $rc
	elif wait_for 10 procs_empty $cg; then
		ok "$name"
	else
		nprocs=$(wc -l <$cg/cgroup.procs)
		not_ok "$name"; diag "expected an empty cgroup.procs, saw $nprocs processes after 10 s"
	fi
	cleanup $id
}

# (g) delete --force of a running container removes its cgroup
t_delete_force() {
	local id=del-force cg=$CG/zrun-vm/del-force name="delete --force removes the cgroup of a running container"
	local rc
	have_zrun "$name" || return
	bundle $id '["/bin/sleep", "1000"]'
	if ! { create $id && start $id; }; then not_ok "$name"; cleanup $id; return; fi
	if [ ! -d $cg ]; then not_ok "$name"; diag "$cg does not exist after start"; cleanup $id; return; fi
	z delete --force $id; rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name"; zfail "delete --force $id" $rc
	elif [ -d $cg ]; then
		not_ok "$name"; diag "$cg still exists; cgroup.procs: $(tr '\n' ' ' <$cg/cgroup.procs)"
	elif z state $id; then
		not_ok "$name"; diag "'zrun state $id' still succeeds after delete"
	else
		ok "$name"
	fi
	cleanup $id
}

# (h) cpu: shares and quota converted for v2
t_cpu() {
	local id=cpu cg=$CG/zrun-vm/cpu name="cpu shares 1024, quota 50000/100000: cpu.weight 39, cpu.max '50000 100000'"
	have_zrun "$name" || return
	bundle $id '["/bin/sleep", "1000"]' '{"cpu": {"shares": 1024, "quota": 50000, "period": 100000}}'
	if create $id; then
		check "$name" "39 / 50000 100000" "$(cat $cg/cpu.weight 2>&1) / $(cat $cg/cpu.max 2>&1)"
	else
		not_ok "$name"
	fi
	cleanup $id
}

# (i) devices: the eBPF program denies a node that has no allow rule
usage_usec() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
t_devices() {
	local name="v2 devices: /dev/kmsg without an allow rule: EPERM; /dev/null works; allowed, it opens"
	local args='["/bin/sh", "-c", "echo x >/dev/null && echo null-ok; exec 3>/dev/kmsg && echo kmsg-opened"]'
	local out1 out2
	have_zrun "$name" || return
	LINUX_EXTRA=', "devices": [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]' \
		bundle dev-deny "$args" '{"devices": [{"allow": false, "access": "rwm"}]}'
	LINUX_EXTRA=', "devices": [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]' \
		bundle dev-allow "$args" '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}'
	z run --bundle $B/dev-deny dev-deny; out1=$(tr '\n' ' ' </tmp/z.log)
	z run --bundle $B/dev-allow dev-allow; out2=$(tr '\n' ' ' </tmp/z.log)
	case "$out1|$out2" in
	*null-ok*kmsg*"not permitted"*"|"*null-ok*kmsg-opened*) ok "$name" ;;
	*) not_ok "$name"; diag "denied run: $out1"; diag "allowed run: $out2" ;;
	esac
	cleanup dev-deny; cleanup dev-allow
}

# (j) pause/resume: cgroup.freeze, status, cpu usage flat while frozen
t_pause() {
	local id=pause cg=$CG/zrun-vm/pause name="v2 pause freezes (cpu.stat flat, status paused), resume thaws"
	local a b c st1 st2 fr
	have_zrun "$name" || return
	bundle $id '["/bin/sh", "-c", "while :; do :; done"]'
	if ! { create $id && start $id; }; then not_ok "$name"; cleanup $id; return; fi
	z pause $id || { not_ok "$name"; zfail "pause $id" $?; cleanup $id; return; }
	st1=$(state_field $id status); fr=$(cat $cg/cgroup.freeze)
	a=$(usage_usec $cg); sleep 1; b=$(usage_usec $cg)
	z resume $id || { not_ok "$name"; zfail "resume $id" $?; cleanup $id; return; }
	st2=$(state_field $id status)
	sleep 1; c=$(usage_usec $cg)
	if [ "$st1" = paused ] && [ "$fr" = 1 ] && [ "$a" = "$b" ] && [ "$st2" = running ] &&
	   [ "$c" -gt $((b + 100000)) ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "expected status paused, cgroup.freeze 1, usage flat, then running and +100 ms;"
		diag "saw '$st1', '$fr', usage_usec $a -> $b, '$st2', then $c"
	fi
	cleanup $id
}

# (k) update: memory.max follows --memory and --resources
t_update() {
	local id=update cg=$CG/zrun-vm/update name="v2 update --memory 64m, then pids via --resources FILE"
	local m p
	have_zrun "$name" || return
	bundle $id '["/bin/sleep", "1000"]' '{"memory": {"limit": 33554432}}'
	if ! create $id; then not_ok "$name"; cleanup $id; return; fi
	z update --memory 64m $id || { not_ok "$name"; zfail "update --memory 64m $id" $?; cleanup $id; return; }
	m=$(cat $cg/memory.max)
	echo '{"pids": {"limit": 9}}' >/tmp/res.json
	z update --resources /tmp/res.json $id || { not_ok "$name"; zfail "update --resources $id" $?; cleanup $id; return; }
	p=$(cat $cg/pids.max)
	check "$name" "67108864 9" "$m $p"
	cleanup $id
}

# (l) events --stats: runc's schema from the v2 files
t_events() {
	local id=events name="v2 events --stats: a stats event with cpu, memory.usage and pids"
	local out
	have_zrun "$name" || return
	bundle $id '["/bin/sh", "-c", "while :; do :; done"]' '{"pids": {"limit": 12}}'
	if ! { create $id && start $id; }; then not_ok "$name"; cleanup $id; return; fi
	sleep 0.3
	z events --stats $id || { not_ok "$name"; zfail "events --stats $id" $?; cleanup $id; return; }
	out=$(cat /tmp/z.log)
	case $out in
	'{"type":"stats","id":"events","data":{"cpu":{"usage":{"total":'[1-9]*'"memory":{'*'"usage":{"limit":'*'"usage":'[1-9]*'"pids":{"current":1,"limit":12}'*)
		ok "$name" ;;
	*) not_ok "$name"; diag "$(echo "$out" | cut -c1-300)" ;;
	esac
	cleanup $id
}

# (m) exec into a running container lands in its cgroup, returns its status
t_exec() {
	local id=exec-cg name="v2 exec: the exec'd process is in 0::/zrun-vm/exec-cg, 'exit 5' returns 5"
	local pid init_cg exec_cg rc
	have_zrun "$name" || return
	# No cgroup namespace: the exec'd process then reads the host's path.
	bundle $id '["/bin/sleep", "1000"]' '{}' \
		'[{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"}]'
	if ! { create $id && start $id; }; then not_ok "$name"; cleanup $id; return; fi
	pid=$(state_field $id pid)
	init_cg=$(cat /proc/$pid/cgroup 2>&1)
	z exec $id cat /proc/self/cgroup; rc=$?
	exec_cg=$(cat /tmp/z.log)
	if [ $rc -ne 0 ]; then
		not_ok "$name"; zfail "exec $id cat /proc/self/cgroup" $rc; cleanup $id; return
	fi
	z exec $id sh -c 'exit 5'; rc=$?
	check "$name" "0::/zrun-vm/$id 0::/zrun-vm/$id 5" "$init_cg $exec_cg $rc"
	cleanup $id
}

# A relative cgroupsPath, from a caller in /zrun-vm-rel/caller: as runc's
# fs2 driver, below the parent of the caller's cgroup (a v2 cgroup holding
# processes cannot give its children controllers); exec, update and delete
# run from the root cgroup act on that path, and delete leaves the caller's.
t_relative_path() {
	local id=rel-path name="a relative cgroupsPath lands below the caller's parent, delete removes it"
	local top=$CG/zrun-vm-rel rc limit exec_cg left
	have_zrun "$name" || return
	mkdir -p $top/caller
	echo "+memory +pids" >$top/cgroup.subtree_control
	bundle $id '["/bin/sleep", "1000"]' '{"memory": {"limit": 33554432}}'
	sed -i "s|\"cgroupsPath\": \"/zrun-vm/$id\"|\"cgroupsPath\": \"$id\"|" $B/$id/config.json
	echo $$ >$top/caller/cgroup.procs
	z create --bundle "$B/$id" $id; rc=$?
	echo $$ >$CG/cgroup.procs
	if [ $rc -ne 0 ]; then
		not_ok "$name"; zfail "create $id (relative path)" $rc; cleanup $id; rmdir $top/caller $top; return
	fi
	limit=$(cat $top/$id/memory.max 2>&1)
	z exec $id cat /proc/self/cgroup; exec_cg=$(cat /tmp/z.log)
	zq kill $id SIGKILL
	wait_for 5 procs_empty $top/$id
	z delete $id
	left=$( [ -d $top/$id ] && echo "$top/$id"; [ -d $top/caller ] || echo "caller's cgroup removed")
	check "$name" "33554432 0::/ " "$limit $exec_cg $left"
	cleanup $id
	rmdir $top/caller $top 2>/dev/null
}

# (h) two --roots, one id, no cgroupsPath: each root's own parent cgroup;
# root 2's delete --force leaves root 1's container running; a create into
# a cgroup that holds a process is refused (issue 20).
t_two_roots() {
	local id=dup R2=/run/zrun-vm2 name="two roots with one id: own cgroups, delete under one leaves the other; a busy cgroup is refused"
	local st1 cg1 cg2 refused left
	have_zrun "$name" || return
	bundle $id '["/bin/sleep", "1000"]'
	sed -i '/"cgroupsPath"/d' $B/$id/config.json
	if ! { create $id && start $id; }; then not_ok "$name"; cleanup $id; return; fi
	timeout 15 $ZRUN --root $R2 run -d --bundle $B/$id $id </dev/null >/tmp/z2.log 2>&1
	cg1=$(tr -d '\n' <$R/$id/state.json | sed -n 's/.*"cgroup_path":"\([^"]*\)".*/\1/p')
	cg2=$(tr -d '\n' <$R2/$id/state.json 2>/dev/null | sed -n 's/.*"cgroup_path":"\([^"]*\)".*/\1/p')
	timeout 15 $ZRUN --root $R2 delete --force $id </dev/null >>/tmp/z2.log 2>&1
	st1=$(state_field $id status)
	# the same leaf, named by a cgroupsPath, for a second container: refused
	sed -i "s|\"namespaces\"|\"cgroupsPath\": \"$cg1\", \"namespaces\"|" $B/$id/config.json
	timeout 15 $ZRUN --root $R2 create --bundle $B/$id $id </dev/null >/tmp/z2.log 2>&1
	grep -q "is not empty" /tmp/z2.log && refused=refused || refused="not refused: $(head -c 200 /tmp/z2.log)"
	cleanup $id
	timeout 15 $ZRUN --root $R2 delete --force $id </dev/null >/dev/null 2>&1
	left=$(ls -d $CG/zrun-[0-9a-f]* 2>/dev/null | tr '\n' ' ')
	rm -rf $R2
	[ "$cg1" != "$cg2" ] && [ -n "$cg2" ] && cg2=distinct
	check "$name" "running distinct refused " "$st1 $cg2 $refused $left"
}

# ---------------------------------------------------------------------------
# 4. a service on the v2 kernel (issue 17): connections steered by the
# SO_REUSEPORT program, a swap under requests, a canary's split, and nothing
# left after delete. Kept small: every connection is emulated.

HTTPD=/tests/httpd

# svc_bundle ID: $B/ID running the demo httpd answering ID, in the service's
# network namespace (no "network" entry)
svc_bundle() {
	if [ ! -x $B/httpd-rootfs/httpd ]; then
		mkdir -p $B/httpd-rootfs/proc $B/httpd-rootfs/dev $B/httpd-rootfs/tmp
		cp $HTTPD $B/httpd-rootfs/httpd
	fi
	ROOTFS=$B/httpd-rootfs bundle "$1" "[\"/httpd\", \"--version-name\", \"$1\"]" '{}' \
		'[{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "cgroup"}]'
}

# have_service NAME: zrun and the httpd (lib.sh's init brings lo up), else
# a failing test NAME
have_service() {
	have_zrun "$1" || return 1
	if [ ! -x $HTTPD ]; then
		not_ok "$1"; diag "no $HTTPD in the VM (bundles/out/httpd was not built on the host)"
		return 1
	fi
}

# answer PORT: the body of GET / (a new connection), or "(failed)". Not
# wget -T: Debian 12's static busybox (1.35) wget segfaults with it.
answer() { timeout 5 wget -q -O - "http://127.0.0.1:$1/" 2>/dev/null || echo "(failed)"; }
# A held connection waits for wget's 5 s: loops of requests are bounded in
# time (the guest's uptime, read with no fork), not only in count.
uptime_s() { local up rest; read -r up rest </proc/uptime; echo "${up%.*}"; }
# answers PORT N: N answers, one a line; fewer after 60 s
answers() {
	local i=0 end=$(($(uptime_s) + 60))
	while [ $i -lt "$2" ] && [ "$(uptime_s)" -lt $end ]; do answer "$1"; i=$((i + 1)); done
}
# count_of WORD FILE: lines of FILE that are exactly WORD
count_of() { grep -cx -- "$1" "$2"; }
# serves PORT ID: GET / answers ID
serves() { [ "$(answer "$1")" = "$2" ]; }
# within SECONDS CMD...: CMD every 0.1 s until it succeeds or SECONDS passed
within() {
	local end=$(($(uptime_s) + $1))
	shift
	until "$@"; do
		[ "$(uptime_s)" -lt $end ] || return 1
		sleep 0.1
	done
}

# svc_first SERVICE PORT ID: ID created as the service's first version,
# started, and answering. Prints diagnostics and fails otherwise.
svc_first() {
	local rc
	svc_bundle "$3"
	z create --service "$1" --listen "tcp://127.0.0.1:$2" --probe-period 100ms "$3" "$B/$3"; rc=$?
	[ $rc -eq 0 ] || { zfail "create --service $1 --listen tcp://127.0.0.1:$2 $3" $rc; return 1; }
	start "$3" || return 1
	within 10 serves "$2" "$3" && return 0
	diag "$3 does not answer GET / on port $2 after 10 s: $(timeout 5 wget -q -O - "http://127.0.0.1:$2/" 2>&1 | tail -n 1)"
	diag "$3 is $(state_field "$3" status); the service's log:"
	z logs --tail 4 "$1"; diag_file /tmp/z.log 4
	return 1
}

# svc_next SERVICE ID: ID created as a version of SERVICE (its probe may fail
# for 10 s: a version starts slowly in the emulated guest)
svc_next() {
	local rc
	svc_bundle "$2"
	z create --service "$1" --probe-period 100ms --probe-failure-threshold 100 "$2" "$B/$2"; rc=$?
	[ $rc -eq 0 ] || { zfail "create --service $1 $2" $rc; return 1; }
}

# svc_steered SERVICE: `service status` says the kernel steers its connections;
# else what it says instead (the shared socket and why): a 6.1 kernel can
# steer this way: say why not, as a failure, never a pass.
svc_steered() {
	local rc
	z service status "$1"; rc=$?
	[ $rc -eq 0 ] || { zfail "service status $1" $rc; return 1; }
	grep -q "connections: steered in the kernel" /tmp/z.log && return 0
	diag "expected 'connections: steered in the kernel' in 'zrun service status $1', saw:"
	diag "$(grep 'connections:' /tmp/z.log | cut -c1-240)"
	return 1
}

# daemons SERVICE: the pids of SERVICE's daemons still running, whose argv
# is {zrun-supervisor or zrun-fdstore, SERVICE}. A zombie's cmdline is
# empty: gone, as for the host's tests (FACTS.md).
daemons() {
	local d c
	for d in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$d/comm" || continue
		case $c in zrun-supervisor|zrun-fdstore) ;; *) continue ;; esac
		[ "$(tr '\0' ' ' 2>/dev/null <"$d/cmdline")" = "$c $1 " ] && echo "${d#/proc/}"
	done
}
no_daemons() { [ -z "$(daemons "$1")" ]; }

# svc_left SERVICE ID...: what is left of SERVICE and its versions, given
# 5 s for the daemons to exit after the last version went; "" when nothing
svc_left() {
	local svc=$1 id left=""
	shift
	# shellcheck disable=SC2046  # one line of pids
	wait_for 5 no_daemons "$svc" || left="daemons $(echo $(daemons "$svc"))"
	[ -e "$R/.services/$svc" ] && left="$left $R/.services/$svc"
	for id; do
		[ -e "$R/$id" ] && left="$left $R/$id"
		[ -d "$CG/zrun-vm/$id" ] && left="$left $CG/zrun-vm/$id"
	done
	echo "${left# }"
}

# svc_delete NAME SERVICE ID...: delete --force the IDs, the test NAME
# passes when nothing of SERVICE is left
svc_delete() {
	local name=$1 svc=$2 id
	shift 2
	for id; do cleanup "$id"; done
	check "$name" "" "$(svc_left "$svc" "$@")"
	# a service's logs outlive it by design (docs/service.md, "Where logs
	# live"): not a leftover, but t_leftovers wants $R empty
	rm -rf "$R/.logs/$svc"
	rmdir "$R/.logs" 2>/dev/null
}

# gone ID: "gone" when neither `zrun state` nor a cgroup knows ID
gone() { if z state "$1" || [ -d "$CG/zrun-vm/$1" ]; then echo "not gone"; else echo gone; fi; }

# requests_under_swap PORT OLD NEW: GET / in a loop (at most 300, each a new
# connection) while `zrun swap OLD NEW` runs; the answers in /tmp/answers,
# the swap's status returned
requests_under_swap() {
	local loop rc
	rm -f /tmp/stop; : >/tmp/answers
	( i=0; while [ ! -e /tmp/stop ] && [ $i -lt 300 ]; do answer "$1" >>/tmp/answers; i=$((i + 1)); done ) &
	loop=$!
	within 5 test -s /tmp/answers
	z swap "$2" "$3"; rc=$?
	touch /tmp/stop
	wait $loop
	return $rc
}

# Steered, swapped under requests with none failed, deleted with nothing left
t_service_steered() {
	local port=18080 rc exe n1 n2 nreq failed after
	local name="service web: status says steered in the kernel, web-v1 answers, the supervisor is /bin/zrun-daemon"
	local deleted="delete web: no supervisor or fdstore, no state, no cgroup left"
	have_service "$name" || return
	if ! { svc_first web $port web-v1 && svc_steered web; }; then
		not_ok "$name"; svc_delete "$deleted" web web-v1; return
	fi
	exe=$(readlink "/proc/$(sed -n 's/.*supervisor pid \([0-9]*\).*/\1/p' /tmp/z.log)/exe")
	check "$name" /bin/zrun-daemon "$exe"

	name="swap web-v1 web-v2 under requests: none failed, web-v1 gone, web-v2 answers"
	if ! svc_next web web-v2; then not_ok "$name"; svc_delete "$deleted" web web-v1 web-v2; return; fi
	requests_under_swap $port web-v1 web-v2; rc=$?
	cp /tmp/z.log /tmp/swap.log
	n1=$(count_of web-v1 /tmp/answers); n2=$(count_of web-v2 /tmp/answers); nreq=$(wc -l </tmp/answers)
	failed=$((nreq - n1 - n2))
	echo "# swap under $nreq requests: $n1 answered by web-v1, $n2 by web-v2, $failed failed"
	after=$(answers $port 10 | grep -cx web-v2)
	check "$name" "swap exit 0, 0 failed, web-v1 gone, 10 of 10 from web-v2" \
		"swap exit $rc, $failed failed, web-v1 $(gone web-v1), $after of 10 from web-v2"
	[ $rc -eq 0 ] || diag_file /tmp/swap.log 4
	[ $failed -eq 0 ] || diag "answers: $(grep -vx -e web-v1 -e web-v2 /tmp/answers | sort | uniq -c | tr '\n' ' ')"

	svc_delete "$deleted" web web-v1 web-v2
}

# A 50% canary splits new connections between both versions; promote leaves
# NEW alone. The bound is loose (binomial(200, 0.5): sd 7): the point is that
# both get a share in the v2 kernel; bench/ measures the accuracy.
t_canary() {
	local port=18081 rc n2 n3 failed after
	local name="swap --canary 50% cn-v2 cn-v3: 200 new connections split, each 60..140, none failed"
	local deleted="delete cn: no supervisor or fdstore, no state, no cgroup left"
	have_service "$name" || return
	if ! { svc_first cn $port cn-v2 && svc_next cn cn-v3; }; then
		not_ok "$name"; svc_delete "$deleted" cn cn-v2 cn-v3; return
	fi
	z swap --canary 50% cn-v2 cn-v3; rc=$?
	# on a shared socket the canary is refused, saying why: a failure here
	if [ $rc -ne 0 ]; then
		not_ok "$name"; zfail "swap --canary 50% cn-v2 cn-v3" $rc
		svc_delete "$deleted" cn cn-v2 cn-v3; return
	fi
	answers $port 200 >/tmp/answers
	n2=$(count_of cn-v2 /tmp/answers); n3=$(count_of cn-v3 /tmp/answers)
	failed=$((200 - n2 - n3))
	if [ $failed -eq 0 ] && [ "$n2" -ge 60 ] && [ "$n2" -le 140 ] && [ "$n3" -ge 60 ] && [ "$n3" -le 140 ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "expected 0 failed and 60..140 answers from each of cn-v2 and cn-v3; saw $failed failed, cn-v2 $n2, cn-v3 $n3"
		z service status cn; diag_file /tmp/z.log 12
	fi

	name="promote cn: cn-v2 gone, cn-v3 answers alone"
	z promote cn; rc=$?
	cp /tmp/z.log /tmp/promote.log
	after=$(answers $port 20 | grep -cx cn-v3)
	check "$name" "promote exit 0, cn-v2 gone, 20 of 20 from cn-v3" "promote exit $rc, cn-v2 $(gone cn-v2), $after of 20 from cn-v3"
	[ $rc -eq 0 ] || diag_file /tmp/promote.log 4

	svc_delete "$deleted" cn cn-v2 cn-v3
}

# Nothing left behind: no cgroup under zrun-vm, no container state.
t_leftovers() {
	local name="nothing left under $CG/zrun-vm or in $R" left
	have_zrun "$name" || return
	left=$(cd $CG/zrun-vm 2>/dev/null && find . -mindepth 1 -type d | tr '\n' ' ')
	left="$left$(ls -A $R 2>/dev/null | tr '\n' ' ')"
	if [ -z "$left" ] && rmdir $CG/zrun-vm 2>/dev/null; then
		ok "$name"
	elif [ -z "$left" ] && [ ! -d $CG/zrun-vm ]; then
		ok "$name"   # zrun removes empty parents itself
	else
		not_ok "$name"; diag "left: ${left:-$CG/zrun-vm cannot be removed}"
	fi
}

# ZRUN_VM_ONLY=NAME on the host (run.sh): only the unit test binary NAME
if [ -s /vm-only ]; then
	t_unit "/tests/$(cat /vm-only)" 120
	echo "# zrun-vm-done $n tests at uptime $(cut -d' ' -f1 /proc/uptime) s"
	exit 0
fi
t_cgroup2_mounted
t_controllers
t_units
mkdir -p $B $R
make_rootfs
t_run_status
t_memory_max
t_pids_max
t_clone_into_cgroup
t_oom
t_kill_all
t_delete_force
t_cpu
t_devices
t_pause
t_update
t_events
t_exec
t_relative_path
t_two_roots
t_service_steered
t_canary
t_leftovers
t_steer
echo "# zrun-vm-done $n tests at uptime $(cut -d' ' -f1 /proc/uptime) s"
