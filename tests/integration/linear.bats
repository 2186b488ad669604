#!/usr/bin/env bats
# Every command linear in the work (issue 20, point 2): `service list`,
# `service status` and `list` read each container's state.json at most once,
# whatever the number of services. Counted (strace), not timed: N services
# of one created (not started) version each, on unix listeners (no port).
load service_helpers  # root_supervisors

setup() {
	setup_common
	command -v strace >/dev/null || skip "strace is not installed"
	B=$(ARGS='["sleep","1000"]' bundle b)
	sed -i '/"cgroupsPath"/d' "$B/config.json"
}

teardown() {
	local sups k ok=0
	sups=$(root_supervisors)
	teardown_common
	for k in $sups; do
		for _ in $(seq 50); do kill -0 "$k" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$k" 2>/dev/null; then echo "supervisor $k left" >&2; kill -9 "$k"; ok=1; fi
	done
	return $ok
}

# grow_to N: services s1..sN, each with one created version vI.
grow_to() {
	local i have
	have=$(zr list -q | wc -l)
	for ((i = have + 1; i <= $1; i++)); do
		zr create --service "s$i" --listen "unix:$WORK/s$i.sock" "v$i" "$B" >/dev/null
	done
	expect_eq "$(zr list -q | wc -l)" "$1" "containers"
}

# state_reads CMD...: how many times zrun CMD opens a state.json
state_reads() {
	strace -f -qq -e trace=openat -o "$WORK/trace" "$ZRUN" --root "$ROOT" "$@" >"$WORK/out"
	grep -c '/state\.json"' "$WORK/trace"
}

expect_reads() {  # N: each command reads each of the N states at most once
	local cmd seen
	for cmd in "service list" "service --format json list" "service --format json status s1" "service status s1" "list"; do
		# shellcheck disable=SC2086
		seen=$(state_reads $cmd)
		[ "$seen" -le "$1" ] || { echo "zrun $cmd with $1 services: expected at most $1 state.json reads, saw $seen" >&2; return 1; }
	done
	expect_eq "$(zr service list | awk 'NR > 1' | wc -l)" "$1" "services listed"
}

@test "service_list_and_status_read_each_state_once_at_10_and_100_services" {
	grow_to 10
	expect_reads 10
	grow_to 100
	expect_reads 100
	for id in $(zr list -q); do zr delete "$id"; done
	expect_eq "$(zr list -q | wc -l)" 0 "containers left"
}

# supervisor_state_reads PID SECONDS OWN: the state.json files of other
# containers than OWN that the supervisor PID opens in SECONDS
supervisor_state_reads() {
	timeout "$2" strace -qq -e trace=openat -p "$1" -o "$WORK/sup.trace" 2>/dev/null || true
	grep '/state\.json"' "$WORK/sup.trace" | grep -vc "/$3/state\.json\"" || true
}

@test "supervisor_rescan_reads_no_other_state_while_the_root_is_unchanged" {
	# Each supervisor looks at its service's versions once a second; reading
	# every state of the root for it cost N x N reads a second (1,000
	# services kept 2 cores busy). Now only what changed is read.
	local sup k seen
	grow_to 10
	sleep 1.5   # the root's last change older than the index's racy window
	for k in $(root_supervisors); do
		[ "$(tr '\0' ' ' <"/proc/$k/cmdline")" = "zrun-supervisor s1 " ] && sup=$k
	done
	[ -n "$sup" ] || { echo "no supervisor of s1 found" >&2; return 1; }
	seen=$(supervisor_state_reads "$sup" 3.5 v1)
	# 3 rescans: the old code read the 9 others' states each time (27)
	[ "$seen" -le 1 ] || { echo "the supervisor of s1 in 3.5 s: expected at most 1 read of another version's state.json, saw $seen" >&2; return 1; }
	# a version made now is still found: the supervisor watches it (its
	# record, supervise.json, names the versions it watches)
	zr create --service s1 --listen "unix:$WORK/s1.sock" v1b "$B" >/dev/null
	zr start v1b
	for _ in $(seq 50); do
		grep -q '"v1b"' "$ROOT/.services/s1/supervise.json" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '"v1b"' "$ROOT/.services/s1/supervise.json" ||
		{ echo "expected the supervisor of s1 to watch v1b within 5 s, its record: $(cat "$ROOT/.services/s1/supervise.json")" >&2; return 1; }
	for id in $(zr list -q); do zr delete --force "$id"; done
	expect_eq "$(zr list -q | wc -l)" 0 "containers left"
}
