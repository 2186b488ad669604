#!/usr/bin/env bats
# A hostile or clumsy version cannot hurt the other versions of its service
# (issue 18, docs/hardening.md "Between versions"): it cannot take the
# shared listener down for the others, nor bind the names of later
# versions' notify sockets; --preserve-fds with a service keeps to the
# LISTEN_FDS convention; replaced versions leave no files behind.
# Ports 18960-18999 (18960 + test number).

PORT_BASE=18960
load service_helpers

setup() { svc_setup; }
teardown() { svc_teardown; }

# The NOTIFY_SOCKET name zrun up to issue 18 gave version ID: FNV-1a 64 of
# the real root, "/" and the id. Anybody who knows the root and the next
# id (api-3 after api-2) could compute it.
legacy_notify_name() {  # id
	python3 - "$(realpath "$ROOT")" "$1" <<'PY'
import sys
h = 1469598103934665603
for b in (sys.argv[1] + "/" + sys.argv[2]).encode():
    h = ((h ^ b) * 1099511628211) & (2**64 - 1)
print("@zrun-notify-%016x" % h)
PY
}

@test "a_version_cannot_squat_the_notify_socket_of_the_next_version" {
	local v1=$TEST_ID-v1 v2=$TEST_ID-v2 b squat=() id name
	# v1 binds every name it can work out for the versions after it: the
	# old scheme's name for the next few ids
	mkdir -p "$ROOT"
	for id in "$v2" "$TEST_ID-v3" "$TEST_ID-2" "api-2"; do
		name=$(legacy_notify_name "$id")
		squat+=(--bind-abstract "$name")
	done
	first_version "$v1" "${squat[@]}"
	local pid=$(init_pid "$v1")
	name=$(legacy_notify_name "$v2")
	wait_until 5 grep -q " ${name}\$" /proc/net/unix || { echo "v1 did not bind $name" >&2; cat "$WORK/containers.log" >&2; false; }
	b=$(mkver v2 --notify)
	vcreate "$v2" "$b" --probe notify --probe-period 50ms
	run zr swap "$v1" "$v2"
	echo "$output"
	expect_eq "$status" 0 "exit status of the notify swap while v1 squats the names it could guess"
	wait_serving "$URL/" v2
	# the name v2 got is none v1 could have known: 128 random bits
	name=$(grep -o '"notify_socket":"[^"]*"' "$ROOT/$v2/state.json" | cut -d'"' -f4)
	[[ "$name" =~ ^@zrun-notify-[0-9a-f]{32}$ ]] || { echo "expected @zrun-notify- and 32 hex digits, saw \"$name\"" >&2; false; }
	! kill -0 "$pid" 2>/dev/null || ! alive "$pid" || { echo "v1 ($pid) still runs after the swap" >&2; false; }
}

# deploy_quiet NAME: zrun deploy of httpd answering NAME to service api
deploy_quiet() {
	local b
	b=$(mkver "$1")
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 100 \
		--grace-period 2s api "$b" > "$WORK/deploy.out" 2>&1 || { cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
}

@test "eleven_deploys_leave_a_bounded_service_dir" {
	local i dir=$ROOT/.services/api files bytes logs stops
	for i in $(seq 11); do deploy_quiet "v$i"; done
	wait_serving "$URL/" v11
	# each replaced version left a stop mark and ~3 MiB of logs (RAM: /run)
	# for the life of the service; now: the logs of the running version and
	# of the last 2 replaced ones, no mark of a deleted version
	logs=$(ls "$dir/logs" | sed 's/\.log.*//' | sort -u | tr '\n' ' ')
	expect_eq "$logs" "api-10 api-11 api-9 " "versions with logs in $dir/logs"
	stops=$(cd "$dir" && ls -d stop-* 2>/dev/null | tr '\n' ' ')
	expect_eq "$stops" "" "stop marks left in $dir"
	files=$(find "$dir" | wc -l)
	bytes=$(du -sb "$dir" | cut -f1)
	echo "# service dir after 11 deploys: $files files, $bytes bytes" >&3
	[ "$files" -le 20 ] || { echo "expected at most 20 files in $dir, saw $files:" >&2; find "$dir" >&2; false; }
	# 3 versions' logs of at most 3 files of 1 MiB each, and the records
	[ "$bytes" -le $((9 * 1048576 + 65536)) ] || { echo "expected at most 9 MiB in $dir, saw $bytes bytes" >&2; false; }
}
