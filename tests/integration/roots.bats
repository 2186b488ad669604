#!/usr/bin/env bats
# A --root is a world of its own: two roots holding containers with the same
# ids never act on each other's processes or cgroups, through any command;
# a create refuses a cgroup that already holds processes; kill and delete act
# only on the cgroup their container's create made (issue 20, point 1).
load helpers

setup() {
	setup_common
	ROOT2=$WORK/root2
	# No linux.cgroupsPath: each container gets its root's default cgroup.
	B=$(ARGS='["sleep","1000"]' bundle b)
	sed -i '/"cgroupsPath"/d' "$B/config.json"
}

zr2() { "$ZRUN" --root "$ROOT2" "$@"; }

teardown() {
	local id
	for id in $(zr2 list -q 2>/dev/null); do zr2 delete --force "$id" >/dev/null 2>&1 || true; done
	rmdir /sys/fs/cgroup/*"$(dirname "$(default_cgroup x "$ROOT2")")" 2>/dev/null || true
	teardown_common
}

spid() { "$ZRUN" --root "$1" state "$2" | jq -r .pid; }     # ROOT ID
sstatus() { "$ZRUN" --root "$1" state "$2" | jq -r .status; } # ROOT ID
nprocs() { "$ZRUN" --root "$1" ps --format json "$2" | jq length; }

# expect_running ROOT ID PID: still that process, still running.
expect_running() {
	expect_eq "$(sstatus "$1" "$2")" running "status of $2 under $1"
	expect_eq "$(spid "$1" "$2")" "$3" "pid of $2 under $1"
	kill -0 "$3"
}

# nothing_left ID...: no state, no cgroup (leaf or the roots' parents), no process.
nothing_left() {
	local root id d ok=0
	for root in "$ROOT" "$ROOT2"; do
		for id in "$@"; do
			[ ! -e "$root/$id" ] || { echo "state $root/$id left" >&2; ok=1; }
		done
		d=$(dirname "$(default_cgroup x "$root")")
		for d in /sys/fs/cgroup/*"$d"; do
			[ ! -d "$d" ] || { echo "cgroup $d left" >&2; ok=1; }
		done
	done
	d=$(find /proc/[0-9]*/root -maxdepth 0 -lname "$WORK*" 2>/dev/null | head -3)
	[ -z "$d" ] || { echo "process left in a container of this test: $d" >&2; ok=1; }
	return $ok
}

@test "two_roots_with_the_same_ids_never_touch_each_other" {
	zr run -d -b "$B" dup
	zr2 run -d -b "$B" dup
	zr create -b "$B" c2
	zr2 create -b "$B" c2
	local a1 b1 a2 b2
	a1=$(spid "$ROOT" dup); b1=$(spid "$ROOT2" dup)
	# start, state, list
	zr start c2
	zr2 start c2
	a2=$(spid "$ROOT" c2); b2=$(spid "$ROOT2" c2)
	expect_running "$ROOT" c2 "$a2"
	expect_running "$ROOT2" c2 "$b2"
	expect_eq "$(zr list | awk '$1 == "dup" {print $2}')" "$a1" "list of root A: pid of dup"
	expect_eq "$(zr2 list | awk '$1 == "dup" {print $2}')" "$b1" "list of root B: pid of dup"
	# exec, ps, events --stats: A's dup gets a second process, B's keeps one
	zr exec -d dup sleep 999
	expect_eq "$(nprocs "$ROOT" dup)" 2 "processes of dup under root A (ps)"
	expect_eq "$(nprocs "$ROOT2" dup)" 1 "processes of dup under root B (ps)"
	expect_eq "$(zr events --stats dup | jq .data.pids.current)" 2 "events --stats pids of dup under root A"
	expect_eq "$(zr2 events --stats dup | jq .data.pids.current)" 1 "events --stats pids of dup under root B"
	# update: the limit lands in A's cgroup only
	local memA memB before
	memA=/sys/fs/cgroup/memory$(default_cgroup dup "$ROOT")/memory.limit_in_bytes
	memB=/sys/fs/cgroup/memory$(default_cgroup dup "$ROOT2")/memory.limit_in_bytes
	before=$(cat "$memB")
	zr update --memory 64m dup
	expect_eq "$(cat "$memA")" 67108864 "memory limit of dup under root A"
	expect_eq "$(cat "$memB")" "$before" "memory limit of dup under root B"
	# pause, resume: B's dup keeps running and answers an exec
	zr pause dup
	expect_eq "$(sstatus "$ROOT" dup)" paused "status of dup under root A"
	expect_running "$ROOT2" dup "$b1"
	expect_eq "$(timeout 10 "$ZRUN" --root "$ROOT2" exec dup echo hi)" hi "exec in dup under root B while A's is paused"
	zr resume dup
	expect_running "$ROOT" dup "$a1"
	# kill, kill --all, delete --force under B: A's containers untouched
	zr2 kill dup KILL
	wait_until 5 eval '[ "$(sstatus "$ROOT2" dup)" = stopped ]'
	expect_running "$ROOT" dup "$a1"
	zr2 kill --all c2 KILL
	wait_until 5 eval '[ "$(sstatus "$ROOT2" c2)" = stopped ]'
	expect_running "$ROOT" c2 "$a2"
	zr2 delete dup
	zr2 delete --force c2
	expect_running "$ROOT" dup "$a1"
	expect_running "$ROOT" c2 "$a2"
	expect_eq "$(nprocs "$ROOT" dup)" 2 "processes of dup under root A after B's deletes"
	# each root's containers in its own parent, named by the root
	expect_eq "$(jq -r .cgroup_path "$ROOT/dup/state.json")" "$(default_cgroup dup "$ROOT")" "cgroup of dup under root A"
	zr delete --force dup
	zr delete --force c2
	nothing_left dup c2
}

@test "create_refuses_a_cgroup_that_already_holds_processes" {
	sed -i 's|"linux": {|"linux": { "cgroupsPath": "'"$CGROUPS_PATH_PARENT"'/'"$TEST_ID"'",|' "$B/config.json"
	zr run -d -b "$B" one
	local pid
	pid=$(spid "$ROOT" one)
	# stdio to files: a detached container that did start (an old zrun)
	# would hold a pipe open, and bats' run would wait for it.
	local status=0 output
	zr2 run -d -b "$B" one >/dev/null 2>"$WORK/err" </dev/null || status=$?
	output=$(cat "$WORK/err")
	[ "$status" -ne 0 ] || { echo "expected a failure, saw exit 0" >&2; false; }
	expect_eq "$(wc -l < "$WORK/err")" 1 "lines of the error ($output)"
	[[ "$output" == "zrun: "* ]] || { echo "expected 'zrun: ...', saw: $output" >&2; false; }
	[[ "$output" == *"cgroup $CGROUPS_PATH_PARENT/$TEST_ID is not empty"* ]] ||
		{ echo "expected 'cgroup $CGROUPS_PATH_PARENT/$TEST_ID is not empty', saw: $output" >&2; false; }
	# nothing of the refused create is left, and the first is untouched
	expect_eq "$(zr2 list -q)" "" "containers under root B"
	[ -z "$(ls -A "$ROOT2" 2>/dev/null)" ] || { echo "left under root B: $(ls -A "$ROOT2")" >&2; false; }
	expect_running "$ROOT" one "$pid"
	expect_eq "$(cat /sys/fs/cgroup/freezer$CGROUPS_PATH_PARENT/"$TEST_ID"/cgroup.procs)" "$pid" "processes in the shared cgroup"
	zr delete --force one
	nothing_left one
	[ ! -d /sys/fs/cgroup/freezer$CGROUPS_PATH_PARENT/"$TEST_ID" ]
}

@test "containers_of_one_pod_share_a_parent_never_a_leaf" {
	mkdir "$WORK/b2"
	cp -a "$B/rootfs" "$B/config.json" "$WORK/b2/"
	sed -i 's|"linux": {|"linux": { "cgroupsPath": "'"$CGROUPS_PATH_PARENT"'/'"$TEST_ID"'/c1",|' "$B/config.json"
	sed -i 's|"linux": {|"linux": { "cgroupsPath": "'"$CGROUPS_PATH_PARENT"'/'"$TEST_ID"'/c2",|' "$WORK/b2/config.json"
	zr run -d -b "$B" c1
	zr2 run -d -b "$WORK/b2" c2
	expect_eq "$(sstatus "$ROOT" c1)" running "status of c1"
	expect_eq "$(sstatus "$ROOT2" c2)" running "status of c2"
	zr delete --force c1
	zr2 delete --force c2
	rmdir /sys/fs/cgroup/*$CGROUPS_PATH_PARENT/"$TEST_ID"
	nothing_left c1 c2
}

# Root A's dup stops (its program exits) and its cgroup stays until its
# delete; root B's dup then takes the same leaf (cgroupsPath), made anew.
stopped_under_a_running_under_b() {
	sed -i 's|"linux": {|"linux": { "cgroupsPath": "'"$CGROUPS_PATH_PARENT"'/'"$TEST_ID"'",|' "$B/config.json"
	mkdir "$WORK/short"
	cp -a "$B/rootfs" "$B/config.json" "$WORK/short/"
	sed -i 's|"sleep", *"1000"|"true"|' "$WORK/short/config.json"
	zr run -d -b "$WORK/short" dup
	wait_until 5 eval '[ "$(sstatus "$ROOT" dup)" = stopped ]'
	zr2 run -d -b "$B" dup
}

@test "kill_and_delete_leave_a_cgroup_made_again_by_another_alone" {
	stopped_under_a_running_under_b
	local pid
	pid=$(spid "$ROOT2" dup)
	zr kill --all dup KILL
	zr delete --force dup
	expect_running "$ROOT2" dup "$pid"
	expect_eq "$(cat /sys/fs/cgroup/freezer$CGROUPS_PATH_PARENT/"$TEST_ID"/cgroup.procs)" "$pid" "processes in B's cgroup after A's delete"
	zr2 delete --force dup
	nothing_left dup
	[ ! -d /sys/fs/cgroup/freezer$CGROUPS_PATH_PARENT/"$TEST_ID" ]
}

@test "delete_force_of_a_corrupt_state_leaves_a_cgroup_made_again_by_another_alone" {
	# as above, but A's state.json is garbage: delete --force goes by the
	# recovery file, whose cgroup identity is checked the same way
	stopped_under_a_running_under_b
	local pid
	pid=$(spid "$ROOT2" dup)
	echo '{"id": "dup", "pid": ' > "$ROOT/dup/state.json"
	zr delete --force dup
	[ ! -e "$ROOT/dup" ] || { echo "root A's dup was not removed" >&2; false; }
	expect_running "$ROOT2" dup "$pid"
	zr2 delete --force dup
	nothing_left dup
	[ ! -d /sys/fs/cgroup/freezer$CGROUPS_PATH_PARENT/"$TEST_ID" ]
}
