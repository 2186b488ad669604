#!/usr/bin/env bats
# Generated configs (issue 13): tests/lib/gen_config.py writes a random but
# valid config.json per seed (namespaces, mounts, user, capabilities,
# seccomp, hooks, resources, rlimits, sysctls, ...) and each one is driven
# through create / state / start / state / (exec, pause, resume) / kill /
# state / delete (or delete --force) with the runtime-spec's lifecycle
# invariants checked at every step, then what the host sees of the running
# program against the config, then that nothing is left: state dir, cgroup,
# process, mount.
#
# CONFIG_FUZZ_SEED=N runs seed N alone; CONFIG_FUZZ_SEEDS (default 40) and
# CONFIG_FUZZ_FIRST (default 1) choose the range; CONFIG_FUZZ_KNOWN=1 lets the
# generator also produce what known bugs fail on (gen_config.py says which);
# CONFIG_FUZZ_TIMES=1 prints each seed's time. A failure names its seed and
# the command that reproduces it.

load helpers

GEN=$BATS_TEST_DIRNAME/../lib/gen_config.py

setup() {
	setup_common
	# a user namespace's root (host uid 100000, ...) must reach the bundles
	chmod 755 "$WORK"
	make_rootfs "$WORK/template-0"
	# an image's own /dev/null, as exported images carry: a config without
	# a mount namespace gets no /dev of zrun's, and sh opens /dev/null
	mknod -m 666 "$WORK/template-0/rootfs/dev/null" c 1 3
	# hook NAME INDEX < state: appends "NAME#INDEX <state>" to the bundle's hooks.log
	cat > "$WORK/hook.sh" <<'SH'
#!/bin/sh
state=$(cat)
bundle=$(echo "$state" | sed -n 's/.*"bundle": *"\([^"]*\)".*/\1/p')
echo "$1#$2 $state" >> "$bundle/hooks.log"
SH
	chmod 755 "$WORK/hook.sh"
}
teardown() {
	# a mount a failing case left on the host must not take rm -rf into
	# what it shows (nothing_left has reported it)
	grep -o " $WORK/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	teardown_common
	remove_relative_parents
}

# A relative cgroupsPath puts zrun-test under the caller's own
# cgroups: remove those parents once empty, as teardown_common does for
# $CGROUPS_PATH_PARENT (rmdir refuses one still in use).
remove_relative_parents() {
	local d own
	for own in $(cut -d: -f3 /proc/self/cgroup | sort -u); do
		[ "$own" != / ] || continue
		for d in /sys/fs/cgroup/*/; do
			[ ! -d "$d${own#/}$CGROUPS_PATH_PARENT" ] || rmdir "$d${own#/}$CGROUPS_PATH_PARENT" 2>/dev/null
		done
	done
	return 0
}

# One-line JSON field (string or number) of a state text.
json_field() {  # TEXT FIELD
	sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$1" | head -1
}

# The hook names of hooks.log in order, and each one's state status.
hooks_seen() { [ -e "$1/hooks.log" ] && cut -d' ' -f1 "$1/hooks.log" | tr '\n' ' ' | sed 's/ $//'; }
hook_statuses() {  # BUNDLE: "NAME:status" for each line
	local name state
	[ -e "$1/hooks.log" ] || return 0
	while read -r name state; do
		printf '%s:%s:%s ' "$name" "$(json_field "$state" status)" "$(json_field "$state" pid)"
	done < "$1/hooks.log"
}

# Cgroup directories where the container's could be, in every hierarchy (a
# relative cgroupsPath is under zrun's own cgroup of that hierarchy).
cgroup_dirs() {  # CGROUPS_PATH
	local d own
	for d in /sys/fs/cgroup/*/; do
		if [ "${1#/}" != "$1" ]; then
			echo "$d${1#/}"
		else
			for own in $(cut -d: -f3 /proc/self/cgroup | sort -u); do
				echo "$d${own#/}/$1" | sed 's://*:/:g'
			done
		fi
	done
}

cgroup_in() {  # CONTROLLER FILE: its path in a /proc/PID/cgroup file
	awk -F: -v c="$1" '{ n = split($2, s, ","); for (i = 1; i <= n; i++) if (s[i] == c) print $3 }' "$2"
}

alive() {  # PID: running, not a zombie waiting for a pid 1 that does not reap
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# rootfs_for BUNDLE OWNER: BUNDLE/rootfs, hard links to a template owned by
# OWNER (made once): a copy per case took most of a case's time.
rootfs_for() {
	local t="$WORK/template-$2"
	if [ ! -d "$t" ]; then
		mkdir "$t" && cp -a "$WORK/template-0/rootfs" "$t/rootfs" && chown -R -h "$2:$2" "$t/rootfs" || return 1
	fi
	cp -al "$t/rootfs" "$1/rootfs" && echo "seed-$seed" > "$1/rootfs/etc/fuzz-id"
}

# run_case SEED: generate, drive, check. Prints what went wrong and returns 1.
run_case() {
	local seed=$1 id="fz-$$-$1" b="$WORK/c$1"
	mkdir "$b"
	python3 "$GEN" --seed "$seed" --bundle "$b" --id "$id" --hook "$WORK/hook.sh" \
		--default-cgroup "$(default_cgroup "$id")" ||
		{ echo "generator failed"; return 1; }
	# shellcheck disable=SC1091
	. "$b/expect.sh"
	rootfs_for "$b" "$X_ROOTFS_OWNER" || { echo "no rootfs"; return 1; }
	install -m 666 /dev/null "$b/hooks.log"
	echo "config: $X_SUMMARY"
	local rc=0
	drive_case || rc=1
	if [ "$rc" -ne 0 ]; then
		sed 's/^/  stderr: /' "$b/err" | head -5
		zr delete --force "$id" >/dev/null 2>&1
	fi
	nothing_left "$id" "$b" || rc=1
	return $rc
}

# The steps of a case; they share run_case's seed, id and b, and pid.
drive_case() {
	local pid procs
	step_create && step_start && step_running && step_extras && step_stop
}

step_create() {
	local st opts=()
	[ "$X_NO_PIVOT" = 0 ] || opts+=(--no-pivot)
	[ "$X_PID_FILE" = 0 ] || opts+=(--pid-file "$b/init.pid")
	timeout 20 "$ZRUN" --root "$ROOT" create "${opts[@]}" -b "$b" "$id" </dev/null >"$b/out" 2>"$b/err" 3>&- ||
		{ echo "create${opts[*]:+ ${opts[*]}} failed: $(tail -1 "$b/err")"; return 1; }
	st=$(zr state "$id") || { echo "state after create failed"; return 1; }
	pid=$(json_field "$st" pid)
	expect_eq "$(json_field "$st" status)" created "status after create" || return 1
	[ "${pid:-0}" -gt 0 ] && alive "$pid" || { echo "pid after create: expected a live pid > 0, saw \"$pid\""; return 1; }
	if [ "$X_PID_FILE" = 1 ]; then
		expect_eq "$(cat "$b/init.pid" 2>&1)" "$pid" "--pid-file vs the pid of state" || return 1
	fi
	expect_eq "$(json_field "$st" id)" "$id" "state id" || return 1
	expect_eq "$(json_field "$st" bundle)" "$b" "state bundle" || return 1
	if [ "$X_ANNOTATED" = 1 ]; then
		grep -Eq "\"fuzz\.seed\": *\"$seed\"" <<<"$st" || { echo "state lacks the annotations: $st"; return 1; }
	fi
	expect_eq "$(hooks_seen "$b")" "$X_HOOKS_CREATE" "hooks run by create" || return 1
	! grep -q '^ran ' "$b/out" || { echo "the program ran before start"; return 1; }
}

step_start() {
	local st ran
	timeout 20 "$ZRUN" --root "$ROOT" start "$id" </dev/null >>"$b/err" 2>&1 3>&- ||
		{ echo "start failed: $(tail -1 "$b/err")"; return 1; }
	wait_until 5 grep -q '^ran ' "$b/out" 2>/dev/null ||
		{ echo "the program did not run: out \"$(cat "$b/out")\""; return 1; }
	st=$(zr state "$id")
	expect_eq "$(json_field "$st" status)" running "status after start" || return 1
	expect_eq "$(json_field "$st" pid)" "$pid" "pid after start (the init's)" || return 1
	ran=$(grep '^ran ' "$b/out")
	# the pid of state is the program's, as its own pid namespace numbers it
	expect_eq "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")" "$(cut -d' ' -f2 <<<"$ran")" \
		"pid of state inside the container (NSpid) vs the program's \$\$" || return 1
	expect_eq "$(cut -d' ' -f3- <<<"$ran")" "seed-$seed $X_CWD" "rootfs marker and cwd the program saw" || return 1
	expect_eq "$(hooks_seen "$b")" "$(echo $X_HOOKS_CREATE $X_HOOKS_START)" "hooks run by create and start" || return 1
}

# What the host sees of the running program against the config.
step_running() {
	local a want
	# an absolute cgroupsPath is from each hierarchy's root; a relative one
	# from zrun's own cgroup there (runc: GetOwnCgroupPath per subsystem)
	for a in pids memory cpu; do
		if [ "${X_CGROUP#/}" != "$X_CGROUP" ]; then want=$X_CGROUP
		else want=$(cgroup_in "$a" /proc/self/cgroup); want="${want%/}/$X_CGROUP"
		fi
		expect_eq "$(cgroup_in "$a" "/proc/$pid/cgroup")" "$want" "$a cgroup of the init" || return 1
	done
	procs=$(cat "/sys/fs/cgroup/pids$(cgroup_in pids "/proc/$pid/cgroup")/cgroup.procs")
	zr list -q | grep -qxF "$id" || { echo "list -q lacks $id: $(zr list -q | tr '\n' ' ')"; return 1; }
	zr ps --format json "$id" | grep -Eq "(^|[^0-9])$pid([^0-9]|$)" ||
		{ echo "ps --format json lacks the init $pid: $(zr ps --format json "$id")"; return 1; }
	python3 "$GEN" --bundle "$b" --check "$pid"
}

# exec into it, pause and resume it (runc's extensions of the lifecycle)
step_extras() {
	local out
	if [ "$X_EXEC" = 1 ]; then
		out=$(timeout 20 "$ZRUN" --root "$ROOT" exec "$id" sh -c 'echo exec-ran $FUZZ_SEED' </dev/null 2>&1 3>&-)
		expect_eq "$out" "exec-ran $seed" "zrun exec output" || return 1
	fi
	if [ "$X_PAUSE" = 1 ]; then
		zr pause "$id" 2>>"$b/err" || { echo "pause failed: $(tail -1 "$b/err")"; return 1; }
		expect_eq "$(status_of "$id")" paused "status after pause" || return 1
		zr resume "$id" 2>>"$b/err" || { echo "resume failed: $(tail -1 "$b/err")"; return 1; }
		expect_eq "$(status_of "$id")" running "status after resume" || return 1
	fi
}

step_stop() {
	local a want seen
	if [ "$X_STOP" = kill ]; then
		zr kill "$id" "$X_SIGNAL" 2>>"$b/err" || { echo "kill $X_SIGNAL failed: $(tail -1 "$b/err")"; return 1; }
		wait_until 5 eval 'test "$(status_of "$id")" = stopped' ||
			{ echo "status after kill $X_SIGNAL: expected \"stopped\", saw \"$(status_of "$id")\""; return 1; }
		! alive "$pid" || { echo "init $pid still alive after kill, status stopped"; return 1; }
		timeout 20 "$ZRUN" --root "$ROOT" delete "$id" </dev/null >>"$b/err" 2>&1 3>&- ||
			{ echo "delete failed: $(tail -1 "$b/err")"; return 1; }
	else
		timeout 20 "$ZRUN" --root "$ROOT" delete --force "$id" </dev/null >>"$b/err" 2>&1 3>&- ||
			{ echo "delete --force of a running container failed: $(tail -1 "$b/err")"; return 1; }
	fi
	! zr state "$id" >/dev/null 2>&1 || { echo "state still answers after delete"; return 1; }
	expect_eq "$(hooks_seen "$b")" "$(echo $X_HOOKS_CREATE $X_HOOKS_START $X_HOOKS_STOP)" "hooks after delete" || return 1
	want=""
	for a in $X_HOOKS_CREATE; do want+="$a:creating:$pid "; done
	for a in $X_HOOKS_START; do want+="$a:running:$pid "; done
	# poststop's pid: the init's or none, the spec does not say
	for a in $X_HOOKS_STOP; do want+="$a:stopped: "; done
	seen=$(hook_statuses "$b" | sed -E 's/(:stopped:)[0-9]*/\1/g')
	expect_eq "$seen" "$want" "hook:status:pid of each hook's state" || return 1
	for a in $procs; do
		! alive "$a" || { echo "process $a of the container alive after delete: $(tr '\0' ' ' < "/proc/$a/cmdline")"; return 1; }
	done
}

nothing_left() {  # ID BUNDLE
	local id=$1 b=$2 d rc=0
	[ ! -e "$ROOT/$id" ] || { echo "state dir $ROOT/$id left"; rc=1; }
	for d in $(cgroup_dirs "$X_CGROUP"); do
		[ ! -d "$d" ] || { echo "cgroup $d left"; rc=1; }
	done
	! grep -F "$b" /proc/self/mountinfo || { echo "mount of the bundle left"; rc=1; }
	return $rc
}

@test "generated_configs_run_the_whole_lifecycle_and_leave_nothing" {
	local first=${CONFIG_FUZZ_FIRST:-1} count=${CONFIG_FUZZ_SEEDS:-40} seed failed=() t0=$SECONDS
	if [ -n "${CONFIG_FUZZ_SEED:-}" ]; then first=$CONFIG_FUZZ_SEED count=1; fi
	for ((seed = first; seed < first + count; seed++)); do
		local out ts=$SECONDS
		if ! out=$(run_case "$seed" 2>&1); then
			failed+=("$seed")
			echo "seed $seed FAILED (CONFIG_FUZZ_SEED=$seed${CONFIG_FUZZ_KNOWN:+ CONFIG_FUZZ_KNOWN=1} bats tests/integration/config_fuzz.bats):"
			sed 's/^/  /' <<<"$out"
		fi
		[ -z "${CONFIG_FUZZ_TIMES:-}" ] || echo "# seed $seed: $((SECONDS - ts)) s" >&3
	done
	echo "$count seeds in $((SECONDS - t0)) s, failed: ${failed[*]:-none}"
	[ ${#failed[@]} -eq 0 ]
}
