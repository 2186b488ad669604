# Shared set-up for the service and swap tests: one rootfs with the demo
# httpd per test, one bundle dir per version (config only, the rootfs is a
# symlink), one port per test (PORT_SHIFT moves them all, for runs side by
# side), and a teardown that proves the service is
# gone: no supervisor, no .services dir, no version state or cgroup left.
load helpers

HTTPD=${HTTPD:-$BATS_TEST_DIRNAME/../../bundles/out/httpd}

svc_setup() {
	setup_common
	[ -x "$HTTPD" ] || skip "bundles/out/httpd is not built"
	command -v wrk >/dev/null || skip "wrk is not installed"
	PORT=$((PORT_BASE + ${PORT_SHIFT:-0} + BATS_TEST_NUMBER))
	URL=http://127.0.0.1:$PORT
	port_unused "$PORT"
	make_rootfs "$WORK/base"
	mv "$WORK/base/rootfs" "$WORK/rootfs"
	cp "$HTTPD" "$WORK/rootfs/httpd"
	: > "$WORK/ids"
	WRK_PID=
}

# port_unused PORT: wait (up to 65 s) until no socket has PORT as its local
# port. With PORT_SHIFT the ports fall in the ephemeral range (32768-60999),
# and a client that connected from PORT (wrk with a connection per request
# leaves tens of thousands in TIME_WAIT for 60 s) makes bind(2) of the
# service's listener fail with EADDRINUSE, SO_REUSEADDR or not.
port_unused() {
	local i
	for i in $(seq 650); do
		ss -Htan "( sport = :$1 )" | grep -q . || return 0
		sleep 0.1
	done
	echo "# port $1 is still used: $(ss -Htan "( sport = :$1 )" | head -3)" >&2
}

# The supervisor pids recorded by the services of this root (each supervisor's
# fdstore, src/service/fdstore.c, or a supervisor whose fdstore was killed).
svc_supervisors() {
	cat "$ROOT"/.services/*/service.json 2>/dev/null | grep -o '"supervisor_pid":[0-9]*' | cut -d: -f2
}

# Every zrun-supervisor or zrun-fdstore process of this test's root (their
# environment names it: ZRUN_SERVICE_ROOT, src/service/fdstore.h).
root_supervisors() {
	local p abs
	abs=$(realpath "$ROOT")
	for p in $(pgrep -x 'zrun-supervisor|zrun-fdstore'); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF -- "ZRUN_SERVICE_ROOT=$abs" && echo "$p"
	done
	return 0
}

# For a teardown after a failure: the supervisors of this test's root that no
# delete ended (only this test's: the root is its own).
kill_root_supervisors() {
	local k
	for k in $(root_supervisors); do kill -9 "$k" 2>/dev/null || true; done
}

alive() {  # pid: running and not a zombie
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

svc_teardown() {
	local id k ok=0 supervisors
	[ -z "$WRK_PID" ] || { kill "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null || true; }
	supervisors=$(svc_supervisors)
	for id in $(zr list -q 2>/dev/null); do
		zr delete --force "$id" >/dev/null 2>&1 || true
	done
	for k in $supervisors; do
		for _ in $(seq 50); do alive "$k" || break; sleep 0.1; done
		if alive "$k"; then echo "supervisor $k still running after the last version went" >&2; ok=1; fi
	done
	if [ -n "$(ls -A "$ROOT/.services" 2>/dev/null)" ]; then
		echo "left in $ROOT/.services: $(ls -A "$ROOT/.services")" >&2
		ok=1
	fi
	for id in $(cat "$WORK/ids" 2>/dev/null); do
		assert_gone "$id" "$(default_cgroup "$id")" || ok=1
	done
	rm -rf "$WORK"
	remove_parent_cgroups
	return $ok
}

# mkver NAME [httpd flags]: a bundle at $WORK/b-NAME running the demo httpd
# as version NAME, in its own cgroup (the root's default, default_cgroup ID).
mkver() {
	local name=$1 dir=$WORK/b-$1 a args
	shift
	args="[\"/httpd\",\"--version-name\",\"$name\""
	for a in "$@"; do args+=",\"$a\""; done
	args+="]"
	mkdir -p "$dir"
	ln -sfn "$WORK/rootfs" "$dir/rootfs"
	ARGS=$args write_config "$dir"
	sed -i '/"cgroupsPath"/d' "$dir/config.json"
	echo "$dir"
}

# deploy_version NAME [httpd flags] -- [deploy flags]: zrun deploy of a
# bundle of httpd answering NAME as service $SVC, with $DEPLOY_DEFAULTS
# (words) before the flags; the output in $WORK/deploy.out (shown on
# failure); remembers the ids it made for the teardown checks.
deploy_version() {
	local name=$1 b hflags=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do hflags+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	b=$(mkver "$name" "${hflags[@]}")
	# shellcheck disable=SC2086 # DEPLOY_DEFAULTS is a list of words
	zr deploy ${DEPLOY_DEFAULTS:-} "$@" "$SVC" "$b" > "$WORK/deploy.out" 2>&1 ||
		{ cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
}

# vcreate ID BUNDLE [create flags]: create a version of service api,
# remembering its id so teardown checks its cgroup is gone. Probes may fail
# 100 times (5 s at the tests' 50 ms period) unless the flags say otherwise:
# a loaded machine can take longer than 3 periods to start a version.
vcreate() {
	local id=$1 b=$2
	shift 2
	echo "$id" >> "$WORK/ids"
	zr create --service api --probe-failure-threshold 100 "$@" "$id" "$b" >> "$WORK/containers.log" 2>&1
}

# first_version ID [httpd flags]: create, start and wait until it serves.
first_version() {
	local id=$1 b
	shift
	b=$(mkver "$id" "$@")
	vcreate "$id" "$b" --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms ||
		{ tail -5 "$WORK/containers.log" >&2; return 1; }
	zr start "$id"
	wait_serving "$URL/" "$id"
}

# sabotaged ID KIND: until version ID (httpd --sabotage KIND) says it did it
sabotaged() {
	wait_until 10 grep -q "httpd $1: sabotage $2 on fd 3: done" "$WORK/containers.log" ||
		{ echo "version $1 did not log \"sabotage $2 on fd 3: done\":" >&2; cat "$WORK/containers.log" >&2; false; }
}

# saboteur ID KIND: version ID of httpd --sabotage KIND (CAPS as mkver's),
# created and started next to the serving one, once it says it did it
saboteur() {
	local b
	b=$(mkver "$1" --sabotage "$2")
	vcreate "$1" "$b"
	zr start "$1"
	sabotaged "$1" "$2"
}

wait_serving() {  # url want-body-substring
	local i body
	for i in $(seq 100); do
		body=$(curl -s --max-time 1 "$1" 2>/dev/null) && [[ "$body" == *"$2"* ]] && return 0
		sleep 0.05
	done
	echo "$1: expected an answer with \"$2\", saw \"$body\"" >&2
	return 1
}

# wrk_start [wrk args]: load on / in the background, for at most 240 s.
wrk_start() {
	wrk -t2 -c16 -d240s "$@" "$URL/" > "$WORK/wrk.out" 2>&1 &
	WRK_PID=$!
	sleep 0.5
}

# wrk_stop: stop it (wrk prints its summary on SIGINT) and check that it
# saw no socket error and no non-2xx answer.
wrk_stop() {
	kill -INT "$WRK_PID" 2>/dev/null || true
	wait "$WRK_PID" || true
	WRK_PID=
	local reqs errs non2xx
	reqs=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
	errs=$(sed -n 's/.*Socket errors: //p' "$WORK/wrk.out")
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: //p' "$WORK/wrk.out")
	echo "# wrk: ${reqs:-?} requests, socket errors: ${errs:-none}, non-2xx: ${non2xx:-0}" >&3
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || { cat "$WORK/wrk.out" >&2; echo "wrk made no requests" >&2; return 1; }
	if [ -n "$errs" ] && [ "$(echo "$errs" | tr -cd '1-9')" != "" ]; then
		cat "$WORK/wrk.out" >&2
		echo "expected no socket errors, saw: $errs" >&2
		return 1
	fi
	if [ -n "$non2xx" ]; then
		cat "$WORK/wrk.out" >&2
		echo "expected no non-2xx responses, saw $non2xx" >&2
		return 1
	fi
}

# The pid of a version's init, and whether it is still that process.
init_pid() { pid_of "$1"; }

# assert_untouched ID PID: the same process still runs and serves 200.
assert_untouched() {
	expect_eq "$(pid_of "$1")" "$2" "pid of $1"
	expect_eq "$(status_of "$1")" running "status of $1"
	kill -0 "$2"
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/")" 200 "answer from $1"
}

assert_version_gone() {  # id
	[ ! -e "$ROOT/$1" ] || { echo "state of $1 left" >&2; return 1; }
	assert_gone "$1" "$(default_cgroup "$1")"
	! zr state "$1" >/dev/null 2>&1 || { echo "zrun state $1 still answers" >&2; return 1; }
}

# One line on stderr, non-zero exit: for bats `run` output of a failed zrun.
assert_one_line_error() {
	[ "$status" -ne 0 ] || { echo "expected failure, got exit 0: $output" >&2; return 1; }
	local errlines
	errlines=$(printf '%s\n' "$output" | grep -c '^zrun: ' || true)
	[ "$errlines" -eq 1 ] || { echo "expected one 'zrun: ' line, saw: $output" >&2; return 1; }
	if [ -n "${1:-}" ] && [[ "$output" != *"$1"* ]]; then
		echo "expected the error to mention \"$1\", saw: $output" >&2
		return 1
	fi
}
