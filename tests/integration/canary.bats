#!/usr/bin/env bats
# Canary releases (issue 17 step 3, docs/service.md "Canary releases"):
# `swap --canary P%` proves NEW ready, gives it P% of new connections and
# OLD the rest, and returns with both running; `promote` finishes the swap,
# `abort` (and `rollback` while in canary) gives OLD every connection back
# and removes NEW. Ports 19600-19649 (19600 + test number).

PORT_BASE=19600
load service_helpers

setup() { svc_setup; }
teardown() { svc_teardown; }

# answers N: N requests, a new connection each (python: 1000 take ~1 s
# where curl takes ~10 s); prints "NAME COUNT" per version that answered.
answers() {
	python3 - "$PORT" "$1" <<'PY'
import collections, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
seen = collections.Counter()
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    seen[body.split()[0] if body else "(empty)"] += 1
for name, count in sorted(seen.items()):
    print(name, count)
PY
}

# count_of NAME: NAME's count in $WORK/answers (0 when it never answered)
count_of() {
	awk -v n="$1" '$1 ~ n"$" { c = $2 } END { print c + 0 }' "$WORK/answers"
}

# canary_open SHARE: v0 serving, v1 created, then swap --canary SHARE.
canary_open() {
	first_version "$TEST_ID-v0"
	b=$(mkver "$TEST_ID-v1")
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	zr swap --canary "$1" "$TEST_ID-v0" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
}

@test "swap_canary_gives_new_its_share_and_returns_with_both_running" {
	canary_open 20%
	expect_eq "$(status_of "$TEST_ID-v0")" running "status of v0 after swap --canary"
	expect_eq "$(status_of "$TEST_ID-v1")" running "status of v1 after swap --canary"
	answers 1000 > "$WORK/answers"
	local n1 n0
	n1=$(count_of "$TEST_ID-v1")
	n0=$(count_of "$TEST_ID-v0")
	echo "# 20% canary: v1 answered $n1 of 1000, v0 $n0" >&3
	expect_eq "$((n0 + n1))" 1000 "answers from v0 and v1 together"
	# binomial(1000, 0.2): sd 12.6; the hash of the 4-tuple of consecutive
	# source ports is not random, but spread as evenly
	[ "$n1" -ge 140 ] && [ "$n1" -le 260 ] || { echo "expected about 200 answers from v1 (140-260), saw $n1" >&2; return 1; }
	run zr service status api
	[[ "$output" == *"canary: $TEST_ID-v1 gets 20% of new connections, $TEST_ID-v0 80%"* ]] || { echo "status: $output" >&2; return 1; }
	[[ "$output" == *"share 20%"* && "$output" == *"share 80%"* ]] || { echo "expected shares 20% and 80%: $output" >&2; return 1; }
	[[ "$output" == *"last swap: $TEST_ID-v0 -> $TEST_ID-v1: canary"* ]] || { echo "expected the swap in canary: $output" >&2; return 1; }
	[[ "$output" != *"needs repair"* ]] || { echo "a canary is not an interrupted swap: $output" >&2; return 1; }
	run zr service --format json status api
	[[ "$output" == *"\"canary\":{\"old\":\"$TEST_ID-v0\",\"new\":\"$TEST_ID-v1\",\"new_share_percent\":20,\"old_share_percent\":80"* ]] || { echo "json: $output" >&2; return 1; }
	[[ "$output" == *'"share_percent":20,"connections_steered":'* ]] || { echo "json: expected v1's share and count: $output" >&2; return 1; }
	local steered
	steered=$(printf '%s' "$output" | grep -o '"share_percent":20,"connections_steered":[0-9]*' | cut -d: -f3)
	[ "$steered" -ge "$n1" ] || { echo "expected v1's accepted-connection count >= $n1, saw $steered" >&2; return 1; }
}

@test "promote_finishes_the_canary_new_serves_all_and_old_is_gone" {
	canary_open 10%
	zr promote api > "$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; return 1; }
	cat "$WORK/swap.out" "$WORK/promote.out" | sed 's/^/# /' >&3
	assert_version_gone "$TEST_ID-v0"
	answers 200 > "$WORK/answers"
	expect_eq "$(count_of "$TEST_ID-v1")" 200 "answers from v1 after promote"
	run zr service status api
	[[ "$output" == *"last swap: $TEST_ID-v0 -> $TEST_ID-v1: done"* && "$output" == *"share 100%"* ]] || { echo "status: $output" >&2; return 1; }
	[[ "$output" != *"canary:"* ]] || { echo "canary still shown: $output" >&2; return 1; }
}

@test "after_promote_the_last_swap_says_promoted_not_the_canary_s_old_split" {
	canary_open 10%
	zr promote api > "$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; return 1; }
	run zr service status api
	local want="last swap: $TEST_ID-v0 -> $TEST_ID-v1: done: canary promoted from 10% by \`zrun promote\`"
	[[ "$output" == *"$want"* ]] || { echo "expected: $want"; echo "seen: $output"; return 1; }
	# the split is over: a done swap that says "v1 gets 10% ..." is wrong
	[[ "$output" != *"gets 10% of new connections"* ]] || { echo "expected no canary split after promote, seen: $output"; return 1; }
}

@test "abort_gives_old_every_connection_back_and_removes_new" {
	canary_open 30%
	zr abort api > "$WORK/abort.out" 2>&1 || { cat "$WORK/abort.out" >&2; return 1; }
	sed 's/^/# /' "$WORK/abort.out" >&3
	assert_version_gone "$TEST_ID-v1"
	answers 200 > "$WORK/answers"
	expect_eq "$(count_of "$TEST_ID-v0")" 200 "answers from v0 after abort"
	run zr service status api
	[[ "$output" == *"last swap: $TEST_ID-v0 -> $TEST_ID-v1: aborted: canary aborted at 30%: asked by \`zrun abort\`"* ]] || { echo "status: $output" >&2; return 1; }
	[[ "$output" == *"share 100%"* ]] || { echo "expected v0 at 100%: $output" >&2; return 1; }
}

@test "rollback_in_canary_aborts_it" {
	canary_open 10%
	zr rollback api > "$WORK/rollback.out" 2>&1 || { cat "$WORK/rollback.out" >&2; return 1; }
	assert_version_gone "$TEST_ID-v1"
	answers 100 > "$WORK/answers"
	expect_eq "$(count_of "$TEST_ID-v0")" 100 "answers from v0 after rollback"
	run zr service status api
	[[ "$output" == *"aborted: canary aborted at 10%: rolled back by"* ]] || { echo "status: $output" >&2; return 1; }
}

@test "a_second_swap_while_a_canary_is_open_is_refused_naming_it" {
	canary_open 10%
	b=$(mkver "$TEST_ID-v2")
	vcreate "$TEST_ID-v2" "$b" --probe-period 50ms
	run zr swap "$TEST_ID-v0" "$TEST_ID-v2"
	assert_one_line_error "service api has a canary open ($TEST_ID-v0 -> $TEST_ID-v1, $TEST_ID-v1 at 10%)"
	run zr swap --canary 50% "$TEST_ID-v1" "$TEST_ID-v2"
	assert_one_line_error "has a canary open"
	# v2 untouched (created), the canary as it was
	expect_eq "$(status_of "$TEST_ID-v2")" created "status of v2 after the refused swap"
	run zr service status api
	[[ "$output" == *"canary: $TEST_ID-v1 gets 10%"* ]] || { echo "status: $output" >&2; return 1; }
}

@test "a_canary_of_a_service_with_a_shared_socket_is_refused_saying_why" {
	export ZRUN_STEER=off
	first_version "$TEST_ID-v0"
	unset ZRUN_STEER
	b=$(mkver "$TEST_ID-v1")
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	run zr swap --canary 10% "$TEST_ID-v0" "$TEST_ID-v1"
	assert_one_line_error "service api has one shared socket, not one per version (steering is off (ZRUN_STEER=off))"
	expect_eq "$(status_of "$TEST_ID-v1")" created "status of v1 after the refused canary"
	[ ! -e "$ROOT/.services/api/swap.json" ] || { echo "a swap record was left: $(cat "$ROOT/.services/api/swap.json")" >&2; return 1; }
}

@test "bad_canary_shares_are_refused_and_leave_nothing" {
	first_version "$TEST_ID-v0"
	b=$(mkver "$TEST_ID-v1")
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	local bad
	for bad in 0% 100% 150% abc 10 -5% 10%,5%; do
		run zr swap --canary "$bad" "$TEST_ID-v0" "$TEST_ID-v1"
		assert_one_line_error "--canary \"$bad\""
	done
	run zr swap --canary 10%,50% "$TEST_ID-v0" "$TEST_ID-v1"
	assert_one_line_error "--canary with 2 shares needs --step"
	run zr swap --canary 10% --step 10s "$TEST_ID-v0" "$TEST_ID-v1"
	assert_one_line_error "--step needs --canary with several shares"
	expect_eq "$(status_of "$TEST_ID-v1")" created "status of v1 after the refused canaries"
	[ ! -e "$ROOT/.services/api/swap.json" ] || { echo "a swap record was left: $(cat "$ROOT/.services/api/swap.json")" >&2; return 1; }
	run zr promote api
	assert_one_line_error "promote api: service api has no canary open (last swap: none)"
	run zr abort api
	assert_one_line_error "abort api: service api has no canary open"
}

# last_swap: the "last swap:" line of service status
last_swap() {
	zr service status api 2>/dev/null | sed -n 's/^last swap: //p'
}

# aborted_by_itself WHY: the canary aborted without a command, saying WHY;
# v1 gone, v0 serving every connection.
aborted_by_itself() {
	wait_until 20 eval '[[ "$(last_swap)" == *"aborted"* ]]' || { echo "status: $(zr service status api)" >&2; return 1; }
	local last
	last=$(last_swap)
	echo "# last swap: $last" >&3
	[[ "$last" == *"canary aborted at 10%: $1"* ]] || { echo "expected the abort to say \"$1\", saw: $last" >&2; return 1; }
	wait_until 10 eval '! zr state "$TEST_ID-v1" >/dev/null 2>&1'
	assert_version_gone "$TEST_ID-v1"
	answers 100 > "$WORK/answers"
	expect_eq "$(count_of "$TEST_ID-v0")" 100 "answers from v0 after the canary aborted by itself"
}

@test "a_canary_that_crashes_is_aborted_by_itself" {
	first_version "$TEST_ID-v0"
	b=$(mkver "$TEST_ID-v1" --exit-after-ms 1500)
	# the default restart policy (on-failure) would restart its exit 3
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	zr swap --canary 10% "$TEST_ID-v0" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	aborted_by_itself "$TEST_ID-v1 exited during the canary"
}

@test "a_canary_that_fails_its_probe_is_aborted_by_itself" {
	first_version "$TEST_ID-v0"
	b=$(mkver "$TEST_ID-v1")
	vcreate "$TEST_ID-v1" "$b" --probe 'exec:test ! -e /canary-fail' --probe-period 100ms --probe-failure-threshold 2
	zr swap --canary 10% "$TEST_ID-v0" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	sleep 0.5
	[[ "$(last_swap)" == *": canary"* ]] || { echo "expected the canary open while v1 passes its probe: $(last_swap)" >&2; return 1; }
	touch "$WORK/rootfs/canary-fail"
	aborted_by_itself "$TEST_ID-v1 failed its exec probe 2 times in a row"
}

@test "stepped_canary_raises_the_share_then_promotes_at_100" {
	first_version "$TEST_ID-v0"
	b=$(mkver "$TEST_ID-v1")
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	zr swap --canary 10%,50%,100% --step 1s "$TEST_ID-v0" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	run zr service status api
	[[ "$output" == *"canary: $TEST_ID-v1 gets 10% of new connections, $TEST_ID-v0 90%; steps 10%,50%,100%, one each 1 s"* ]] || { echo "status: $output" >&2; return 1; }
	wait_until 10 eval '[[ "$(zr service status api)" == *"canary: $TEST_ID-v1 gets 50%"* ]]' || { echo "status: $(zr service status api)" >&2; return 1; }
	wait_until 10 eval '[[ "$(last_swap)" == *": done"* ]]' || { echo "status: $(zr service status api)" >&2; return 1; }
	assert_version_gone "$TEST_ID-v0"
	answers 100 > "$WORK/answers"
	expect_eq "$(count_of "$TEST_ID-v1")" 100 "answers from v1 after the last step"
}

# deploy_canary_setup: service $SVC deployed (version v1, $SVC-1) and serving.
dep() {  # dep NAME [-- deploy flags]: deploy_version with this file's listener
	DEPLOY_DEFAULTS="--listen tcp://127.0.0.1:$PORT --probe-period 50ms --probe-failure-threshold 100" deploy_version "$@"
}
current_of() { zr service --format json status "$SVC" | grep -o '"current":"[^"]*"' | cut -d'"' -f4; }

# v2_gets_about_25_percent LABEL: of 1000 new connections, v2 answers
# about 250 (180-320); the count goes to the TAP output under LABEL.
v2_gets_about_25_percent() {
	answers 1000 > "$WORK/answers"
	local n2
	n2=$(count_of v2)
	echo "# $1: v2 answered $n2 of 1000" >&3
	[ "$n2" -ge 180 ] && [ "$n2" -le 320 ] || { echo "expected about 250 answers from v2 (180-320), saw $n2" >&2; return 1; }
}

@test "deploy_canary_gives_the_new_version_its_share_and_promote_makes_it_current" {
	SVC=canary$BATS_TEST_NUMBER
	dep v1
	dep v2 -- --canary 25%
	grep -q "$SVC-2 in canary: 1 replica, ready" "$WORK/deploy.out" || { cat "$WORK/deploy.out" >&2; return 1; }
	v2_gets_about_25_percent "deploy --canary 25%"
	zr promote "$SVC" > "$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; return 1; }
	assert_version_gone "$SVC-1"
	expect_eq "$(current_of)" "$SVC-2" "the service's current version after promote"
	answers 100 > "$WORK/answers"
	expect_eq "$(count_of v2)" 100 "answers from v2 after promote"
}

@test "deploy_canary_aborted_leaves_the_old_version_current_and_deploys_again" {
	SVC=canary$BATS_TEST_NUMBER
	dep v1
	dep v2 -- --canary 10%
	# a deploy while the canary is open: refused, nothing created
	run zr deploy "$SVC" "$(mkver v3)"
	assert_one_line_error "service $SVC has a canary open ($SVC-1 -> $SVC-2, $SVC-2 at 10%)"
	! zr state "$SVC-3" >/dev/null 2>&1 || { echo "the refused deploy created $SVC-3" >&2; return 1; }
	zr abort "$SVC" > "$WORK/abort.out" 2>&1 || { cat "$WORK/abort.out" >&2; return 1; }
	assert_version_gone "$SVC-2"
	expect_eq "$(current_of)" "$SVC-1" "the service's current version after abort"
	dep v3
	wait_serving "$URL/" v3
	assert_version_gone "$SVC-1"
}

@test "deploy_canary_of_a_service_never_deployed_is_refused_and_creates_nothing" {
	SVC=canary$BATS_TEST_NUMBER
	run zr deploy --listen "tcp://127.0.0.1:$PORT" --canary 10% "$SVC" "$(mkver v1)"
	assert_one_line_error "--canary: service $SVC has no running version to share connections with"
	[ -z "$(zr list -q)" ] || { echo "left: $(zr list -q)" >&2; return 1; }
	[ ! -e "$ROOT/.services/$SVC" ] || { echo "the service record was left" >&2; return 1; }
}

replicas_running() {  # the ids zrun lists for $SVC, sorted, one line
	zr list -q | grep "^$SVC-" | sort | tr '\n' ' '
}

@test "a_canary_of_two_replicas_shares_across_both_and_promote_keeps_two" {
	SVC=canary$BATS_TEST_NUMBER
	dep v1 -- --replicas 2
	dep v2 -- --canary 25% --replicas 2
	grep -q "$SVC-2 in canary: 2 replicas, ready" "$WORK/deploy.out" || { cat "$WORK/deploy.out" >&2; return 1; }
	expect_eq "$(replicas_running)" "$SVC-1 $SVC-1.r1 $SVC-2 $SVC-2.r1 " "the versions running in the canary"
	v2_gets_about_25_percent "deploy --canary 25% --replicas 2"
	zr promote "$SVC" > "$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; return 1; }
	assert_version_gone "$SVC-1"
	assert_version_gone "$SVC-1.r1"
	expect_eq "$(replicas_running)" "$SVC-2 $SVC-2.r1 " "the versions running after promote"
	answers 100 > "$WORK/answers"
	expect_eq "$(count_of v2)" 100 "answers from v2 after promote"
}

@test "scale_is_refused_while_a_canary_is_open_or_a_swap_runs_and_changes_nothing" {
	SVC=canary$BATS_TEST_NUMBER
	dep v1 -- --replicas 2
	dep v2 -- --canary 10%
	local before
	before=$(replicas_running)
	run zr scale "$SVC" 3
	assert_one_line_error "scale $SVC: service $SVC has a canary open ($SVC-1 -> $SVC-2, $SVC-2 at 10%)"
	run zr scale "$SVC" 1
	assert_one_line_error "service $SVC has a canary open"
	expect_eq "$(replicas_running)" "$before" "the versions running after the refused scales"
	zr abort "$SVC" > "$WORK/abort.out" 2>&1 || { cat "$WORK/abort.out" >&2; return 1; }
	# another swap command holds the service's swap lock: scale does not queue behind it
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(60)' \
		"$ROOT/.services/$SVC/swap.lock" > "$WORK/lock.out" 2>&1 &
	local holder=$!
	wait_until 5 grep -q locked "$WORK/lock.out" || { kill "$holder"; cat "$WORK/lock.out" >&2; return 1; }
	run zr scale "$SVC" 3
	kill "$holder"
	wait "$holder" || true
	assert_one_line_error "another swap of service $SVC is in progress, try again when it has finished"
	expect_eq "$(replicas_running)" "$SVC-1 $SVC-1.r1 " "the versions running after the refused scale"
	zr scale "$SVC" 3 > "$WORK/scale.out" 2>&1 || { cat "$WORK/scale.out" >&2; return 1; }
	expect_eq "$(replicas_running)" "$SVC-1 $SVC-1.r1 $SVC-1.r2 " "the versions running after scale 3"
}
