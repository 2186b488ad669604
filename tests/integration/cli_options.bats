#!/usr/bin/env bats
# Options anywhere on the line, as getopt_long users expect (issue 15, 3):
# `zrun service save --file F`, `zrun delete ID --force`, ... one test per
# command. exec and ps keep runc's rule: every word after the id is the
# program's (`exec ID ls -l`), so those tests prove nothing is taken from it.

load service_helpers

bats_require_minimum_version 1.5.0

PORT_BASE=19450

setup() { svc_setup; }
teardown() { svc_teardown; }

# sleeper NAME: a created (not started) container NAME running `sleep 30`
sleeper() {
	local b
	b=$(ARGS='["sleep","30"]' bundle "$1")
	echo "$1" >> "$WORK/ids.plain"
	zr create "$1" "$b" --pid-file "$WORK/$1.pid"
}

plain_gone() {
	local id ok=0
	for id in $(cat "$WORK/ids.plain" 2>/dev/null); do
		assert_gone "$id" || ok=1
	done
	return $ok
}

@test "create_and_run_take_options_after_the_id_and_bundle" {
	sleeper c1
	expect_eq "$(cat "$WORK/c1.pid" 2>/dev/null)" "$(pid_of c1)" "pid file of create ID BUNDLE --pid-file"
	local b; b=$(ARGS='["sh","-c","exit 7"]' bundle r1)
	echo r1 >> "$WORK/ids.plain"
	run zr run r1 --bundle "$b"
	expect_eq "$status" 7 "exit status of run ID --bundle B"
	zr delete c1 --force
	plain_gone
}

@test "start_state_pause_resume_events_update_take_options_after_the_id" {
	sleeper c1
	run --separate-stderr zr start c1 --help
	expect_eq "$status" 0 "exit status of start ID --help"
	[[ "$output" == Usage:*" start "* ]] || { echo "start ID --help printed: $output $stderr"; false; }
	expect_eq "$(status_of c1)" created "status after start ID --help"
	zr start c1
	run zr state c1 --help
	expect_eq "$status" 0 "exit status of state ID --help"
	zr pause c1
	zr resume c1
	run --separate-stderr zr events c1 --stats
	expect_eq "$status" 0 "exit status of events ID --stats ($stderr)"
	[[ "$output" == *'"type":"stats"'* || "$output" == *'"type": "stats"'* ]] || { echo "events ID --stats: $output"; false; }
	echo '{"pids":{"limit":99}}' > "$WORK/res.json"
	run --separate-stderr zr update c1 --resources "$WORK/res.json"
	expect_eq "$status" 0 "exit status of update ID --resources F ($stderr)"
	expect_eq "$(cat /sys/fs/cgroup/pids$CGROUPS_PATH_PARENT/c1/pids.max)" 99 "pids.max after update"
	zr delete c1 --force
	plain_gone
}

@test "kill_and_delete_take_all_and_force_after_the_id" {
	sleeper c1
	zr start c1
	run --separate-stderr zr kill c1 KILL --all
	expect_eq "$status" 0 "exit status of kill ID SIG --all ($stderr)"
	wait_until 5 eval 'test "$(status_of c1)" = stopped'
	sleeper c2
	run --separate-stderr zr delete c2 --force
	expect_eq "$status" 0 "exit status of delete ID --force ($stderr)"
	zr delete c1
	plain_gone
}

@test "list_and_spec_take_options_in_any_order" {
	sleeper c1
	expect_eq "$(zr list -q --format table)" c1 "list -q --format table"
	run zr list --format json -q
	expect_eq "$output" c1 "list --format json -q"
	mkdir "$WORK/specdir"
	run --separate-stderr zr spec --rootless --bundle "$WORK/specdir"
	expect_eq "$status" 0 "exit status of spec --rootless --bundle D"
	[ -s "$WORK/specdir/config.json" ] || { echo "spec wrote no config.json"; false; }
	zr delete c1 --force
	plain_gone
}

@test "exec_and_ps_leave_every_word_after_the_id_to_the_program" {
	sleeper c1
	zr start c1
	run --separate-stderr zr exec --env X=1 c1 sh -c 'echo "$X" -n --env --help'
	expect_eq "$status" 0 "exit status of exec ($stderr)"
	expect_eq "$output" "1 -n --env --help" "what the program was given"
	run --separate-stderr zr exec c1 -- sh -c 'echo --'
	expect_eq "$output" "--" "exec ID -- CMD: the program after --"
	run --separate-stderr zr ps c1 -o pid,comm
	expect_eq "$status" 0 "exit status of ps ID -o pid,comm ($stderr)"
	expect_eq "$(echo "$output" | tail -n 1 | awk '{ print $1, $2 }')" "$(pid_of c1) sleep" \
		"ps ID -o pid,comm (ps's own option)"
	run zr ps --format json c1
	expect_eq "$output" "[$(pid_of c1)]" "ps --format json ID"
	zr delete c1 --force
	plain_gone
}

@test "service_save_and_restore_take_file_after_the_subcommand" {
	first_version api-v1
	run --separate-stderr zr service save --file "$WORK/saved.json"
	expect_eq "$status" 0 "exit status of service save --file F ($stderr)"
	grep -q '"api"' "$WORK/saved.json" || { echo "saved: $(cat "$WORK/saved.json")"; false; }
	[ ! -e "$ROOT/services.json" ] || { echo "save wrote the default file, not --file"; false; }
	run --separate-stderr zr service status api --format json
	[[ "$output" == '{"name":"api"'* ]] || { echo "service status NAME --format json: $output $stderr"; false; }
	run zr service list --format json
	[[ "$output" == '[{"name":"api"'* ]] || { echo "service list --format json: $output"; false; }
	run --separate-stderr zr service restore --file "$WORK/saved.json"
	expect_eq "$status" 0 "exit status of service restore --file F ($stderr)"
	run --separate-stderr zr service restore --file "$WORK/nothing.json"
	[ "$status" -ne 0 ] || { echo "restore --file of a missing file succeeded: $output"; false; }
	[[ "$stderr" == *nothing.json* ]] || { echo "the error does not name the file: $stderr"; false; }
}

@test "deploy_scale_logs_swap_rollback_take_options_after_their_arguments" {
	local b1 b2
	b1=$(mkver v1); b2=$(mkver v2)
	run --separate-stderr zr deploy api "$b1" --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms \
		--probe-failure-threshold 100 --id api-v1 --format json
	expect_eq "$status" 0 "exit status of deploy SERVICE BUNDLE --listen ... ($stderr)"
	echo api-v1 >> "$WORK/ids"
	wait_serving "$URL/" v1
	run --separate-stderr zr scale api 2 --timeout 20s
	expect_eq "$status" 0 "exit status of scale SERVICE N --timeout D ($stderr)"
	echo api-v1.r1 >> "$WORK/ids"
	run --separate-stderr zr logs api --tail 1
	expect_eq "$status" 0 "exit status of logs SERVICE --tail 1 ($stderr)"
	run --separate-stderr zr deploy api "$b2" --id api-v2 --keep-old --probe-period 50ms \
		--probe-failure-threshold 100
	expect_eq "$status" 0 "exit status of deploy --keep-old after the arguments ($stderr)"
	printf '%s\n' api-v2 api-v2.r1 >> "$WORK/ids"
	wait_serving "$URL/" v2
	run --separate-stderr zr rollback api --timeout 20s --format json
	expect_eq "$status" 0 "exit status of rollback SERVICE --timeout D ($stderr)"
	wait_serving "$URL/" v1
}

@test "swap_takes_options_after_the_ids" {
	first_version api-v1
	vcreate api-v2 "$(mkver api-v2)" --probe-period 50ms
	run --separate-stderr zr swap api-v1 api-v2 --grace-period 2s --format json
	expect_eq "$status" 0 "exit status of swap OLD NEW --grace-period D --format json ($stderr)"
	[[ "$output" == "{"* ]] || { echo "swap --format json after the ids printed: $output"; false; }
	wait_serving "$URL/" api-v2
}

@test "a_bad_option_after_the_arguments_is_still_named" {
	run --separate-stderr zr service save --file
	[ "$status" -ne 0 ] || { echo "service save --file with no value succeeded"; false; }
	expect_eq "$stderr" "zrun: service: option --file needs a value" "error"
	run --separate-stderr zr delete nope --bogus
	expect_eq "$stderr" "zrun: delete: unknown option --bogus (see zrun delete --help)" "error"
	[ ! -e "$ROOT/nope" ] || { echo "a refused command left $ROOT/nope"; false; }
}
