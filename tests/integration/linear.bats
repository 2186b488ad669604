#!/usr/bin/env bats
# Every command linear in the work (issue 20, point 2): `service list`,
# `service status` and `list` read each container's state.json at most once,
# whatever the number of services, and a service's own records (supervise.json,
# swap.json) as often with 8 versions as with 2. Counted (strace), not timed:
# N services of one created (not started) version each, on unix listeners
# (no port).
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

# Each supervisor looks at its service's versions every second: reading
# every state under the root there made N services cost N x N reads a
# second (at 1,000 services the host's load went past 300).
@test "a_supervisor_and_service_status_read_only_their_own_services_states" {
	local fdstore sup seen others
	grow_to 20
	seen=$(state_reads service status s1)
	[ "$seen" -le 1 ] || { echo "service status s1 of 20 services: expected at most 1 state.json read, saw $seen" >&2; false; }
	fdstore=$(grep -o '"supervisor_pid":[0-9]*' "$ROOT/.services/s1/service.json" | cut -d: -f2)
	sup=$(pgrep -x -P "$fdstore" zrun-supervisor) || { echo "no supervisor under s1's fdstore $fdstore" >&2; false; }
	timeout 2.5 strace -qq -e trace=openat -o "$WORK/sup-trace" -p "$sup" || true
	seen=$(grep -c '/v1/state\.json"' "$WORK/sup-trace" || true)
	others=$(grep '/state\.json"' "$WORK/sup-trace" | grep -vc '/v1/state\.json"' || true)
	[ "$seen" -ge 1 ] || { echo "the supervisor of s1 read no state in 2.5 s: $(head -5 "$WORK/sup-trace")" >&2; false; }
	expect_eq "$others" 0 "states of other services the supervisor of s1 read in 2.5 s"
	# create and delete of a version of s1 (no strace -f: the created
	# init would keep it waiting)
	strace -qq -e trace=openat -o "$WORK/cd-trace" "$ZRUN" --root "$ROOT" create --service s1 vx "$B" >/dev/null 2>&1 </dev/null
	strace -qq -e trace=openat -o "$WORK/cd-trace" -A "$ZRUN" --root "$ROOT" delete vx
	others=$(grep '/state\.json"' "$WORK/cd-trace" | grep -v '/v[1x]/state\.json"' || true)
	expect_eq "$others" "" "states of other services read by create and delete of a version of s1"
	for id in $(zr list -q); do zr delete "$id"; done
	expect_eq "$(zr list -q | wc -l)" 0 "containers left"
	[ ! -e "$ROOT/.services" ] || { echo "service dirs left: $(ls "$ROOT/.services")" >&2; false; }
}

# service_file_reads FILE CMD...: how many times zrun CMD opens (or checks
# for) the service's FILE
service_file_reads() {
	local file=$1
	shift
	strace -f -qq -e trace=openat,access,faccessat,faccessat2 -o "$WORK/trace" "$ZRUN" --root "$ROOT" "$@" >"$WORK/out"
	grep -c "/$file\"" "$WORK/trace" || true  # (grep -c exits 1 on 0)
}

@test "service_status_reads_the_services_supervise_and_swap_records_once_whatever_its_versions" {
	local n cmd file seen
	declare -A at2
	# running versions: a running one's health asks for the swap under way
	zr create --service s1 --listen "unix:$WORK/s1.sock" v1 "$B" >/dev/null
	zr start v1
	for n in 2 8; do
		for ((i = $(zr list -q | wc -l) + 1; i <= n; i++)); do
			zr create --service s1 "v$i" "$B" >/dev/null
			zr start "v$i"
		done
		expect_eq "$(zr list -q | wc -l)" "$n" "versions of s1"
		for cmd in "service status s1" "service --format json status s1" "service list"; do
			for file in supervise.json swap.json; do
				# shellcheck disable=SC2086
				seen=$(service_file_reads $file $cmd)
				if [ "$n" = 2 ]; then
					at2["$cmd $file"]=$seen
				elif [ "$seen" != "${at2["$cmd $file"]}" ]; then
					echo "zrun $cmd: $file read ${at2["$cmd $file"]} times with 2 versions, expected as many with $n, saw $seen" >&2
					return 1
				fi
			done
		done
	done
	for id in $(zr list -q); do zr delete --force "$id"; done
	expect_eq "$(zr list -q | wc -l)" 0 "containers left"
}
