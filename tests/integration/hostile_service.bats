#!/usr/bin/env bats
# Services against clumsy or hostile input (issue 18). The supervisor's socket
# (ROOT/.services/NAME/supervisor.sock) against clumsy or hostile clients: short, empty, overlong and NUL-bearing messages, unknown
# tags, ids that climb out of logs/, and any number of fds in any number of
# SCM_RIGHTS headers. The supervisor must keep serving, keep its pid, and hold
# exactly the fds it held before (every fd it was sent and did not take is
# closed). A version whose state.json is corrupt is still deleted, and its
# service ends with it.

load service_helpers

PORT_BASE=18760

setup() { svc_setup; }
teardown() { svc_teardown; }

# fuzz_supervisor SOCK WORK: the explicit cases, then 300 random messages.
fuzz_supervisor() {
	python3 - "$1" "$2" <<'PY'
import array, os, random, socket, sys

sock_path, work = sys.argv[1], sys.argv[2]
random.seed(18)
replies = {}
sent, last = [0], [None]

def send(data, nfds=0, split=False, wait=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    try:
        s.connect(sock_path)
    except OSError as e:
        sys.exit("the supervisor stopped answering (%s) after %d messages, the last %r" % (e, sent[0], last[0]))
    sent[0] += 1
    last[0] = data[:40] if data else data
    fds = []
    for _ in range(nfds):
        r, w = os.pipe()
        fds += [r]
        os.close(w)
    anc = []
    if fds:
        if split:   # one SCM_RIGHTS header per fd
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [f])) for f in fds]
        else:
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
    try:
        if data is not None:
            s.sendmsg([data], anc)
        if wait and data:
            try:
                msg, ancdata, _, _ = s.recvmsg(16, socket.CMSG_SPACE(64 * 4))
                replies[msg[:1]] = replies.get(msg[:1], 0) + 1
                for level, kind, payload in ancdata:   # 'F' hands out the listeners
                    if kind == socket.SCM_RIGHTS:
                        for f in array.array("i", payload[: len(payload) - len(payload) % 4]):
                            os.close(f)
            except (socket.timeout, ConnectionResetError):
                pass
    finally:
        s.close()
        for f in fds:
            os.close(f)

send(None)                                   # connect, close
send(b"", wait=False)                        # an empty message
send(b"L" + b"x" * 5000, 1)                  # overlong: truncated
send(b"L../../../../PWNED", 1)               # an id that climbs out of logs/
send(b"Lv1", 3)                              # too many fds
send(b"Lv1", 2, split=True)                  # two SCM_RIGHTS headers
send(b"Lv1", 12)                             # more than the supervisor takes
send(b"Lv1\0../../../../PWNED2", 1)          # a NUL inside
send(b"Lv1")                                 # no fd
send(b"S" + b"v1", 2)                        # notify with two fds
send(b"F", 2)                                # fetch with fds
send(b"Qjunk")                               # not a quit
send(b"P\n")                                 # not a ping
send(b"Z" * 3000, 4, split=True)             # unknown tag
for i in range(300):
    tag = random.choice(b"FLSPQZ\x00\xff{")
    body = bytes(random.randrange(256) for _ in range(random.choice([0, 1, 5, 40, 300, 1100, 2000])))
    nfds = random.choice([0, 0, 1, 1, 2, 3, 9])
    msg = bytes([tag]) + body
    if msg == b"Q" or msg == b"R":
        msg += b"!"
    if tag in b"LS" and nfds == 1:           # never a well-formed L/S: the id has a '/'
        msg = bytes([tag]) + b"a/" + body
    send(msg, nfds, split=random.random() < 0.3, wait=random.random() < 0.5)
print(" ".join("%r:%d" % kv for kv in sorted(replies.items())))
PY
}

@test "supervisor_survives_garbage_on_its_socket_and_leaks_no_fd" {
	first_version "$TEST_ID-v1"
	local fdstore supervisor before gbefore after gafter
	fdstore=$(svc_supervisors)
	supervisor=$(pgrep -P "$fdstore" -x zrun-supervisor)
	[ -n "$supervisor" ] || { echo "no supervisor under fdstore $fdstore" >&2; return 1; }
	# the supervisor watches its fdstore and the running version through
	# pidfds, the second taken at
	# its next rescan: count its fds once that is there
	wait_until 10 eval "[ \$(ls -l /proc/$supervisor/fd | grep -c pidfd) -ge 2 ]"
	before=$(ls "/proc/$supervisor/fd" | wc -l)
	ls -l "/proc/$supervisor/fd" > "$WORK/fds.before"
	gbefore=$(ls "/proc/$fdstore/fd" | wc -l)
	run fuzz_supervisor "$ROOT/.services/api/supervisor.sock" "$WORK"
	echo "# replies: $output" >&3
	[ "$status" -eq 0 ] || { echo "the fuzzer failed: $output" >&2; return 1; }
	alive "$supervisor" || { echo "supervisor $supervisor died of the garbage" >&2; return 1; }
	expect_eq "$(pgrep -P "$fdstore" -x zrun-supervisor)" "$supervisor" "the supervisor under fdstore $fdstore"
	after=$(ls "/proc/$supervisor/fd" | wc -l)
	ls -l "/proc/$supervisor/fd" > "$WORK/fds.after"; diff "$WORK/fds.before" "$WORK/fds.after" >&2 || true
	gafter=$(ls "/proc/$fdstore/fd" | wc -l)
	expect_eq "$after" "$before" "fds of supervisor $supervisor"
	expect_eq "$gafter" "$gbefore" "fds of fdstore $fdstore"
	[ ! -e "$WORK/PWNED.log" ] && [ ! -e "$WORK/PWNED2.log" ] && [ ! -e "$(dirname "$WORK")/PWNED.log" ] ||
		{ echo "the supervisor wrote a log outside logs/: $(ls "$WORK"/PWNED*)" >&2; return 1; }
	ls "$ROOT/.logs/api" 2>/dev/null | grep -qv "^$TEST_ID-v1\.log" &&
		{ echo "logs made for ids that are no version: $(ls "$ROOT/.logs/api")" >&2; return 1; }
	wait_serving "$URL/" "$TEST_ID-v1"
	# and a well-formed client is still served: a second version joins
	local b2
	b2=$(mkver "$TEST_ID-v2")
	vcreate "$TEST_ID-v2" "$b2" --probe-period 50ms
	zr start "$TEST_ID-v2"
	zr swap "$TEST_ID-v1" "$TEST_ID-v2" >/dev/null
	wait_serving "$URL/" "$TEST_ID-v2"
}

@test "a_version_with_a_corrupt_state_json_is_deleted_and_its_service_ends" {
	first_version "$TEST_ID-v1"
	local fdstore init
	fdstore=$(svc_supervisors)
	init=$(init_pid "$TEST_ID-v1")
	: > "$ROOT/$TEST_ID-v1/state.json"
	zr list | grep -qE "^$TEST_ID-v1 +0 +unknown" ||
		{ echo "expected $TEST_ID-v1 as unknown in list, saw: $(zr list)" >&2; return 1; }
	zr delete --force "$TEST_ID-v1"
	wait_until 5 eval "! alive $init" || { echo "init $init of $TEST_ID-v1 left running" >&2; return 1; }
	wait_until 5 eval "! alive $fdstore" ||
		{ echo "the supervisor (fdstore $fdstore) of the service outlived its last version" >&2; return 1; }
	[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ] ||
		{ echo "left in $ROOT/.services: $(ls -A "$ROOT/.services")" >&2; return 1; }
	! curl -s --max-time 1 "$URL/" >/dev/null ||
		{ echo "port $PORT still answers after the service ended" >&2; return 1; }
	assert_version_gone "$TEST_ID-v1"
}
