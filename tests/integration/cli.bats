#!/usr/bin/env bats
# The command line as a runc user or containerd sees it: --version, --help,
# COMMAND --help, spec, features, --log with --log-format, global flags.

load helpers

bats_require_minimum_version 1.5.0

setup() { setup_common; }
teardown() { teardown_common; }

RUNC_COMMANDS="create start run state kill delete list spec features"

# The command names of `zrun --help`.
listed_commands() {
	"$ZRUN" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

@test "version_prints_the_version_and_the_spec_version" {
	run --separate-stderr zr --version
	expect_eq "$status" 0 "exit status"
	[[ "${lines[0]}" =~ ^zrun\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "saw: ${lines[0]}"; false; }
	[[ "$output" == *"spec: 1.2."* ]] || { echo "saw: $output"; false; }
	run zr -v
	expect_eq "$status" 0 "exit status of -v"
}

@test "help_lists_every_runc_command_and_global_option" {
	run --separate-stderr zr --help
	expect_eq "$status" 0 "exit status"
	[[ "${lines[0]}" == Usage:* ]] || { echo "first line: ${lines[0]}"; false; }
	local c got; got=" $(listed_commands | tr '\n' ' ') "
	for c in $RUNC_COMMANDS; do
		[[ "$got" == *" $c "* ]] || { echo "command $c not in --help: $got"; false; }
	done
	for c in --root --log --log-format --debug --systemd-cgroup --version --help; do
		[[ "$output" == *"$c"* ]] || { echo "global option $c not in --help"; false; }
	done
}

@test "help_command_prints_what_command_help_prints" {
	local c n=0 want
	for c in $(listed_commands); do
		[ "$c" != help ] || continue
		want=$(zr "$c" --help)
		run --separate-stderr zr help "$c"
		expect_eq "$status" 0 "exit status of help $c"
		expect_eq "$output" "$want" "zrun help $c (zrun $c --help)"
		expect_eq "$stderr" "" "stderr of help $c"
		n=$((n + 1))
	done
	[ "$n" -ge 9 ] || { echo "only $n commands listed"; false; }
	[ ! -e "$ROOT" ] || { echo "help made $ROOT"; false; }
}

@test "help_alone_prints_the_usage" {
	run --separate-stderr zr help
	expect_eq "$status" 0 "exit status of zrun help"
	expect_eq "$output" "$(zr --help)" "zrun help (zrun --help)"
	[[ "$output" == *"  help "* ]] || { echo "help is not listed in the usage: $output"; false; }
}

@test "help_of_an_unknown_command_is_a_clear_error" {
	run --separate-stderr zr help bogus
	expect_eq "$status" 1 "exit status of zrun help bogus"
	expect_eq "$stderr" 'zrun: help: unknown command "bogus" (see zrun --help)' "stderr"
	expect_eq "$output" "" "stdout"
	run --separate-stderr zr help create start
	expect_eq "$status" 1 "exit status of zrun help create start"
	[[ "$stderr" == "zrun: help: expects at most one command"* ]] || { echo "stderr: $stderr"; false; }
	[ ! -e "$ROOT" ] || { echo "help made $ROOT"; false; }
}

@test "no_command_prints_usage_and_fails" {
	run --separate-stderr zr
	[ "$status" -ne 0 ]
	[[ "$stderr" == Usage:* ]] || { echo "stderr: $stderr"; false; }
	expect_eq "$output" "" "stdout"
}

@test "every_command_help_exits_0_and_prints_usage" {
	local c n=0
	for c in $(listed_commands); do
		run --separate-stderr zr "$c" --help
		expect_eq "$status" 0 "exit status of $c --help"
		[[ "${lines[0]}" == Usage:*" $c "* ]] || { echo "$c --help first line: ${lines[0]}"; false; }
		expect_eq "$stderr" "" "stderr of $c --help"
		run zr "$c" -h
		expect_eq "$status" 0 "exit status of $c -h"
		n=$((n + 1))
	done
	[ "$n" -ge 9 ] || { echo "only $n commands listed"; false; }
	[ ! -e "$ROOT" ] || { echo "--help made $ROOT"; false; }
}

@test "create_and_run_help_list_runcs_flags" {
	local c f
	for c in create run; do
		run zr "$c" --help
		for f in --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds; do
			[[ "$output" == *"$f"* ]] || { echo "$c --help lacks $f"; false; }
		done
	done
	run zr run --help
	[[ "$output" == *--detach* ]]
	run zr kill --help
	[[ "$output" == *--all* ]]
	run zr delete --help
	[[ "$output" == *--force* ]]
	run zr list --help
	[[ "$output" == *--format* && "$output" == *--quiet* ]]
}

@test "features_is_runtime_spec_features_json" {
	run --separate-stderr zr features
	expect_eq "$status" 0 "exit status"
	echo "$output" | python3 -c '
import json, sys
f = json.load(sys.stdin)
assert f["ociVersionMin"] <= f["ociVersionMax"], f
ns = set(f["linux"]["namespaces"])
want = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}
assert want <= ns, f"namespaces: expected {sorted(want)}, saw {sorted(ns)}"
assert "bind" in f["mountOptions"] and "ro" in f["mountOptions"], f["mountOptions"]
assert f["linux"]["seccomp"]["enabled"] is True
assert f["linux"]["cgroup"]["v1"] is True and f["linux"]["cgroup"]["v2"] is True
assert f["linux"]["cgroup"]["systemd"] is True, "cgroup.systemd: the systemd driver"
assert f["linux"]["cgroup"]["systemdUser"] is False, "cgroup.systemdUser: no user manager"
'
}

@test "spec_writes_a_config_that_run_accepts" {
	mkdir -p "$WORK/sb"
	make_rootfs "$WORK/sb"
	run --separate-stderr zr spec --bundle "$WORK/sb"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output$stderr" "" "output of spec"
	python3 - "$WORK/sb/config.json" <<'PY'
import json, os, sys
p = sys.argv[1]
c = json.load(open(p))
assert c["ociVersion"].startswith("1."), c["ociVersion"]
assert c["root"]["path"] == "rootfs", c["root"]
assert c["process"]["args"] == ["sh"], c["process"]["args"]
# run without a terminal, a program that proves it ran, a test cgroup
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "hostname; exit 5"]
c["linux"]["cgroupsPath"] = os.environ["CGROUPS_PATH_PARENT"] + "/sb"
json.dump(c, open(p, "w"))
PY
	run zr run -b "$WORK/sb" "$TEST_ID"
	expect_eq "$status" 5 "exit status of run"
	expect_eq "$output" "zrun" "hostname from the default spec"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/sb
}

@test "spec_writes_into_the_current_directory_by_default" {
	mkdir -p "$WORK/here"
	cd "$WORK/here"
	zr spec
	python3 -c 'import json; json.load(open("config.json"))'
}

@test "spec_refuses_to_overwrite_a_config" {
	mkdir -p "$WORK/sb"
	echo '{"mine": true}' > "$WORK/sb/config.json"
	run --separate-stderr zr spec -b "$WORK/sb"
	[ "$status" -ne 0 ]
	expect_eq "${#stderr_lines[@]}" 1 "stderr lines"
	[[ "$stderr" == *"config.json exists"* ]] || { echo "stderr: $stderr"; false; }
	expect_eq "$(cat "$WORK/sb/config.json")" '{"mine": true}' "config.json"
}

@test "log_json_writes_level_msg_time_on_failure" {
	run --separate-stderr zr --log "$WORK/log.json" --log-format json start "$TEST_ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]] || { echo "stderr: $stderr"; false; }
	expect_eq "$(wc -l < "$WORK/log.json")" 1 "log lines"
	python3 - "$WORK/log.json" "$TEST_ID" <<'PY'
import json, re, sys
line = json.loads(open(sys.argv[1]).readline())
assert line["level"] == "error", line
assert sys.argv[2] in line["msg"] and "does not exist" in line["msg"], line
assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"]), line
PY
	# a second failure appends
	run zr --log "$WORK/log.json" --log-format json kill "$TEST_ID"
	expect_eq "$(wc -l < "$WORK/log.json")" 2 "log lines after a second failure"
}

@test "log_json_escapes_quotes_in_the_message" {
	mkdir -p "$WORK/b\"q"
	run zr --log "$WORK/log.json" --log-format json create -b "$WORK/b\"q" "$TEST_ID"
	[ "$status" -ne 0 ]
	python3 -c 'import json, sys; l = json.loads(open(sys.argv[1]).readline()); assert "b\"q" in l["msg"], l' "$WORK/log.json"
	assert_gone "$TEST_ID"
}

@test "log_text_writes_a_logfmt_line_on_failure" {
	run zr --log "$WORK/log.txt" start "$TEST_ID"
	[ "$status" -ne 0 ]
	grep -qE '^time="[^"]+" level=error msg=".*does not exist.*"$' "$WORK/log.txt" || { echo "log: $(cat "$WORK/log.txt")"; false; }
}

@test "log_gets_nothing_when_a_command_succeeds" {
	run zr --log "$WORK/log.json" --log-format json list
	expect_eq "$status" 0 "exit status"
	[ ! -s "$WORK/log.json" ] || { echo "log: $(cat "$WORK/log.json")"; false; }
}

@test "runc_global_flags_are_accepted" {
	run zr --debug --rootless false --log "$WORK/log" list -q
	expect_eq "$status" 0 "exit status ($output)"
	expect_eq "$output" "" "output"
}

# This host's PID 1 is not systemd (the driver is tested with one in the
# vm-systemd suite): --systemd-cgroup says so in one line and makes nothing.
@test "systemd_cgroup_says_systemd_is_not_init_when_it_is_not" {
	[ ! -d /run/systemd/system ] || skip "systemd is this host's init"
	run zr --systemd-cgroup list
	expect_eq "$status" 0 "list with --systemd-cgroup"
	ARGS='["true"]' B=$(bundle b1)
	run --separate-stderr zr --systemd-cgroup create -b "$B" "$TEST_ID"
	[ "$status" -ne 0 ]
	expect_eq "${#stderr_lines[@]}" 1 "stderr lines"
	expect_eq "$stderr" "zrun: create $TEST_ID: --systemd-cgroup: systemd is not this host's init (/run/systemd/system is missing); use the cgroupfs driver (omit the flag)" "stderr"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
	assert_gone "$TEST_ID" "/system.slice/zrun-$TEST_ID.scope"
	run --separate-stderr zr --systemd-cgroup run -b "$B" "$TEST_ID"
	expect_eq "$status" 1 "run's exit status"
	[[ "$stderr" == *"systemd is not this host's init"* ]] || { echo "run's stderr: $stderr"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "create_takes_the_bundle_from_the_current_directory_by_default" {
	ARGS='["sh","-c","exit 4"]' B=$(bundle b1)
	cd "$B"
	run zr run "$TEST_ID"
	expect_eq "$status" 4 "exit status"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

# containerd and podman call checkpoint/restore by runc's names (with runc's
# flags): the answer is one clear line, not `unknown command`, also in the
# --log JSON they show users; and features claims no checkpointing.
@test "checkpoint_and_restore_say_zrun_does_not_support_them" {
	local c
	for c in checkpoint restore; do
		run --separate-stderr zr --log "$WORK/log.json" --log-format json "$c" --image-path "$WORK/img" --work-path "$WORK/w" "$TEST_ID"
		expect_eq "$status" 1 "exit status of $c"
		expect_eq "$stderr" "zrun: $c: not supported by zrun (no CRIU support)" "stderr of $c"
		expect_eq "$output" "" "stdout of $c"
		grep -q "\"msg\":\"$c: not supported by zrun (no CRIU support)\"" "$WORK/log.json" ||
			{ echo "log: expected msg \"$c: not supported...\", saw: $(cat "$WORK/log.json")"; false; }
		rm -f "$WORK/log.json"
	done
	[ ! -e "$WORK/img" ] && [ ! -e "$WORK/w" ] && [ ! -e "$ROOT" ] || { echo "checkpoint/restore made files"; false; }
	run --separate-stderr zr features
	expect_eq "$status" 0 "exit status of features"
	[[ "$output" != *checkpoint.enabled* && "$output" != *criu* ]] || { echo "features claims checkpointing"; false; }
}

# --probe-period's help said the startup probes come "every 50-100 ms";
# they come every PROBE_STARTUP_FAST_MS for PROBE_STARTUP_FAST_FOR_MS, then
# every PROBE_STARTUP_SLOW_MS (src/service/probe.h, docs/service.md).
@test "probe_period_help_states_the_startup_schedule_of_probe_h" {
	local h=$BATS_TEST_DIRNAME/../../src/service/probe.h fast slow for c line
	fast=$(awk '$1 == "#define" && $2 == "PROBE_STARTUP_FAST_MS" { print $3 }' "$h")
	slow=$(awk '$1 == "#define" && $2 == "PROBE_STARTUP_SLOW_MS" { print $3 }' "$h")
	for=$(awk '$1 == "#define" && $2 == "PROBE_STARTUP_FAST_FOR_MS" { print $3 / 1000 }' "$h")
	[ -n "$fast" ] && [ -n "$slow" ] && [ -n "$for" ] || { echo "probe.h: the startup constants not found"; false; }
	for c in create deploy; do
		line=$(zr help "$c" | grep -- '--probe-period')
		[[ "$line" == *"until then every $fast ms for $for s, then $slow ms"* ]] ||
			{ echo "zrun help $c: expected \"until then every $fast ms for $for s, then $slow ms\", seen: $line"; false; }
	done
}

# `zrun rollback` of a service with an open canary aborts it
# (docs/service.md, "Canary releases"); its help said only "back to its
# previous version (kept by deploy --keep-old)".
@test "rollback_help_says_it_undoes_an_open_canary" {
	run zr help rollback
	[[ "$output" == *"or undo its open canary"* ]] || { echo "expected 'or undo its open canary' in: $output"; false; }
}
