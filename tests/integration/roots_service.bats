#!/usr/bin/env bats
# Service versions with the same ids under two --roots never touch each
# other (issue 20, point 1). Ports 19300-19399: root A's service on
# 19300 + test number, root B's on 19350 + test number (+ PORT_SHIFT).

PORT_BASE=19300
load service_helpers

setup() {
	svc_setup
	ROOT2=$WORK/root2
	PORT2=$((PORT + 50))
	URL2=http://127.0.0.1:$PORT2
}

zr2() { "$ZRUN" --root "$ROOT2" "$@"; }

# Root B's share of the teardown: its versions deleted, its supervisors
# gone, nothing left in its .services, its cgroups, or its parent cgroup.
root2_teardown() {
	local id k ok=0 d
	for id in $(zr2 list -q 2>/dev/null); do zr2 delete --force "$id" >/dev/null 2>&1 || true; done
	for k in $(ROOT=$ROOT2 root_supervisors); do
		for _ in $(seq 50); do alive "$k" || break; sleep 0.1; done
		if alive "$k"; then echo "root B's supervisor $k still running" >&2; kill -9 "$k"; ok=1; fi
	done
	[ -z "$(ls -A "$ROOT2/.services" 2>/dev/null)" ] || { echo "left in root B's .services: $(ls -A "$ROOT2/.services")" >&2; ok=1; }
	ROOT=$ROOT2 assert_gone web-1 "$(default_cgroup web-1 "$ROOT2")" || ok=1
	d=$(dirname "$(default_cgroup x "$ROOT2")")
	for d in /sys/fs/cgroup/*"$d"; do
		[ ! -d "$d" ] || { echo "root B's parent cgroup $d left" >&2; rmdir "$d" 2>/dev/null; ok=1; }
	done
	return $ok
}

teardown() {
	local ok=0
	root2_teardown || ok=1
	svc_teardown || ok=1
	return $ok
}

@test "service_versions_with_the_same_ids_under_two_roots_never_touch_each_other" {
	first_version web-1
	local pa pb b
	pa=$(init_pid web-1)
	b=$(mkver web-1-of-b)
	zr2 create --service api --probe-failure-threshold 100 --listen "tcp://127.0.0.1:$PORT2" \
		--probe-period 50ms web-1 "$b" >> "$WORK/containers.log" 2>&1
	zr2 start web-1
	wait_serving "$URL2/" web-1-of-b
	pb=$("$ZRUN" --root "$ROOT2" state web-1 | jq -r .pid)
	[ "$pa" != "$pb" ]
	# each root's service api: one version, its own listener
	expect_eq "$(zr service list | awk '$1 == "api" {print $3, $4}')" "1 tcp://127.0.0.1:$PORT" "root A's service list"
	expect_eq "$(zr2 service list | awk '$1 == "api" {print $3, $4}')" "1 tcp://127.0.0.1:$PORT2" "root B's service list"
	wait_serving "$URL/" web-1
	# root B's version goes (delete --force, then its supervisor): A's stays
	zr2 kill --all web-1 KILL
	zr2 delete --force web-1
	assert_untouched web-1 "$pa"
	for _ in $(seq 20); do
		expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/")" 200 "answer from root A's web-1"
	done
	root2_teardown
	assert_untouched web-1 "$pa"
	expect_eq "$(jq -r .cgroup_path "$ROOT/web-1/state.json")" "$(default_cgroup web-1)" "cgroup of root A's web-1"
}
