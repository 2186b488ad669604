#!/usr/bin/env bats
# A property test of deploy / rollback / scale / kill: seeded random
# sequences (SEED=N to replay one), bounded to ~60 s, with the invariants
# checked after every step:
#   - at most one version is kept (stopped) for rollback, and it is the one
#     the service record names;
#   - every listed version is reachable: it runs as the current version, or
#     is the kept one (rollback brings it back); nothing else is left;
#   - the current version runs the number of replicas the record says;
#   - the service serves throughout: a client loop sees no failed request.
# Ports 19100-19199, shared with deploy_settings.bats (19190 + test number).

PORT_BASE=19190
load service_helpers
bats_require_minimum_version 1.5.0

setup() { svc_setup; SVC=dp$BATS_TEST_NUMBER; CLIENT_PID=; }
teardown() {
	[ -z "$CLIENT_PID" ] || { touch "$WORK/stop"; wait "$CLIENT_PID" 2>/dev/null || true; }
	svc_teardown
}

# client_loop: one request every 20 ms until $WORK/stop exists (at most
# 120 s); a failed one is written to $WORK/failures with its time.
client_loop() {
	local end=$((SECONDS + 120)) rc
	while [ ! -e "$WORK/stop" ] && [ $SECONDS -lt $end ]; do
		# $? taken first: the date's command substitution would reset it
		curl -sf -o /dev/null --max-time 5 "$URL/" || { rc=$?; echo "$(date +%T.%N) curl exit $rc" >> "$WORK/failures"; }
		sleep 0.02
	done
}

# check_invariants STEP: print what is wrong (nothing when all hold).
check_invariants() {
	python3 - "$ROOT" "$SVC" "$ZRUN" "$1" <<'PY'
import json, os, subprocess, sys
root, svc, zrun, step = sys.argv[1:]
rec = json.load(open(f"{root}/.services/{svc}/service.json"))
cur, prev, replicas = rec.get("current", ""), rec.get("previous", ""), rec.get("replicas", 0)
ids = subprocess.run([zrun, "--root", root, "list", "-q"], capture_output=True, text=True).stdout.split()
bad, running, stopped_groups = [], 0, set()
for i in ids:
    st = json.loads(subprocess.run([zrun, "--root", root, "state", i], capture_output=True, text=True).stdout or "{}")
    group = json.load(open(f"{root}/{i}/state.json")).get("zrun", {}).get("group") or i
    status = st.get("status", "?")
    if group == cur and status == "running":
        running += 1
    elif group == prev and prev != cur:
        stopped_groups.add(group)
    else:
        bad.append(f"{i} ({status}, version {group}) is neither the current {cur!r} running nor the kept {prev!r}")
if running != replicas:
    bad.append(f"current {cur} runs {running} replicas, the record says {replicas}")
if len(stopped_groups) > 1:
    bad.append(f"more than one version kept: {sorted(stopped_groups)}")
if prev and prev not in stopped_groups:
    bad.append(f"the record keeps {prev} for rollback, but no container of it is left")
for b in bad:
    print(f"after {step}: {b}")
PY
}

# all_current_running: every replica the record names runs (a killed one
# has been restarted by the supervisor)
all_current_running() { [ -z "$(check_invariants wait | grep 'runs')" ]; }

@test "random_deploy_rollback_scale_kill_sequences_keep_every_version_reachable_and_the_service_serving" {
	# one fixed sequence in make check, so CI's answer does not depend on
	# the draw; SEED=N (or SEED=$RANDOM) explores others
	local seed=${SEED:-10259} b k step op out n id pid end=$((SECONDS + 55)) steps=0
	echo "# seed $seed (SEED=$seed to replay)" >&3
	RANDOM=$seed
	for k in 1 2 3; do mkver "v$k" > /dev/null; done
	zr deploy --listen "tcp://127.0.0.1:$PORT" "$SVC" "$WORK/b-v1" > "$WORK/step.out" 2>&1 || { cat "$WORK/step.out" >&2; return 1; }
	wait_serving "$URL/" v1
	client_loop &
	CLIENT_PID=$!
	: > "$WORK/steps"
	while [ $SECONDS -lt $end ] && [ $steps -lt 40 ]; do
		steps=$((steps + 1))
		case $((RANDOM % 6)) in
		0|1)
			local flags=()
			case $((RANDOM % 3)) in 0) flags+=(--keep-old) ;; 1) flags+=(--no-keep-old) ;; esac
			[ $((RANDOM % 2)) = 0 ] && flags+=(--replicas $((RANDOM % 3 + 1)))
			b=$WORK/b-v$((RANDOM % 3 + 1))
			# a kept bundle removed now and then (rollback must cope)
			if [ $((RANDOM % 8)) = 0 ]; then
				cp -r "$b" "$WORK/b-tmp$steps"
				b=$WORK/b-tmp$steps
				op="deploy ${flags[*]} $(basename "$b") (its bundle removed after)"
			else
				op="deploy ${flags[*]} $(basename "$b")"
			fi
			zr deploy "${flags[@]}" "$SVC" "$b" > "$WORK/step.out" 2>&1 || { cat "$WORK/step.out" >&2; echo "step $steps: $op failed" >&2; return 1; }
			[[ "$b" != */b-tmp* ]] || rm -rf "$b"
			;;
		2)
			op=rollback
			if ! zr rollback "$SVC" > "$WORK/step.out" 2>&1; then
				grep -q "no previous version kept\|cannot come back" "$WORK/step.out" ||
					{ cat "$WORK/step.out" >&2; echo "step $steps: rollback failed for another reason" >&2; return 1; }
			fi
			;;
		3)
			n=$((RANDOM % 3 + 1))
			op="scale $n"
			zr scale "$SVC" "$n" > "$WORK/step.out" 2>&1 || { cat "$WORK/step.out" >&2; echo "step $steps: $op failed" >&2; return 1; }
			;;
		*)
			id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["current"])' "$ROOT/.services/$SVC/service.json")
			pid=$(pid_of "$id")
			# a restart makes the version again from its bundle: with the
			# bundle removed (above) there is nothing to restart from
			if [ ! -e "$(zr state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle"])')/config.json" ]; then
				op="kill -9 $id skipped (its bundle was removed)"
			else
				op="kill -9 $id (pid $pid)"
				[ -z "$pid" ] || [ "$pid" = 0 ] || kill -9 "$pid" 2>/dev/null || true
				wait_until 10 all_current_running
			fi
			;;
		esac
		echo "$steps: $op (done $(date +%T.%N))" >> "$WORK/steps"
		zr list -q >> "$WORK/ids"
		out=$(check_invariants "step $steps: $op")
		[ -z "$out" ] || { cat "$WORK/steps" >&2; echo "$out" >&2; zr list >&2; return 1; }
	done
	touch "$WORK/stop"
	wait "$CLIENT_PID"
	CLIENT_PID=
	echo "# $steps steps: $(tr '\n' ';' < "$WORK/steps" | cut -c1-300)..." >&3
	sort -u "$WORK/ids" -o "$WORK/ids"
	[ ! -s "$WORK/failures" ] || { cat "$WORK/steps" >&2; echo "expected no failed request, saw:" >&2; cat "$WORK/failures" >&2; return 1; }
}
