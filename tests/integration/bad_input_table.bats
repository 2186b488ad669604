#!/usr/bin/env bats
# The bad-input table: every command given malformed or huge JSON, wrong
# types, invalid ids, paths escaping the bundle, missing binaries, bad
# signals, bad listen URLs and probe specs, conflicting flags, a --root that
# is a file, a full disk. Each row must give exactly one stderr line
# "zrun: ..." matching its regex (case-insensitive), a non-zero exit, and
# leave nothing: no state dir or .services under --root, no cgroup under
# /sys/fs/cgroup/*/zrun-test/ (CGROUPS_PATH_PARENT) or the root's default parent, no process (supervisor, httpd, init).
#
# The rows are between BEGIN TABLE and END TABLE, one per line:
#   name | regex | bash code run with: $ROOT, $WORK, $ID (a fresh valid id,
#   also the name of the bundle's cgroup), $B (a good busybox bundle),
#   zr (zrun --root $ROOT), cfg SED (a bundle at $WORK/$ID whose config.json
#   is $B's through sed; prints its dir), json TEXT (same, config.json=TEXT),
#   PORT (a free port 18900-18999).
# tests/lib/bad_input_doc.sh runs the same rows and prints docs/bad-input.md.
# One @test per row below (the name is the row's); a test that names a row
# missing from the table fails.

# BEGIN LIB
BI_DIR=${BATS_TEST_DIRNAME:-$(dirname "${BASH_SOURCE[0]}")}
. "$BI_DIR/../lib/bundle.sh"
export CGROUPS_PATH_PARENT=${ZRUN_TEST_CGROUP:-/zrun-test}  # as helpers.bash
ZRUN=${ZRUN:-$BI_DIR/../../zrun}
BI_TABLE_FILE=${BI_TABLE_FILE:-$BI_DIR/bad_input_table.bats}

zr() { "$ZRUN" --root "$ROOT" "$@"; }

# A bundle at $WORK/$ID with $B's config edited by sed expression $1.
cfg() {
	mkdir -p "$WORK/$ID"
	ln -sfn "$B/rootfs" "$WORK/$ID/rootfs"
	sed "$1" "$B/config.json" > "$WORK/$ID/config.json"
	echo "$WORK/$ID"
}
json() {
	mkdir -p "$WORK/$ID"
	ln -sfn "$B/rootfs" "$WORK/$ID/rootfs"
	printf '%s\n' "$1" > "$WORK/$ID/config.json"
	echo "$WORK/$ID"
}

# The table row named $1: sets ROW_RE and ROW_CODE.
bi_row() {
	local line
	line=$(sed -n '/^# BEGIN TABLE/,/^# END TABLE/p' "$BI_TABLE_FILE" | grep -m1 "^$1 | ") ||
		{ echo "no row $1 in the table" >&2; return 1; }
	ROW_RE=${line#* | }
	ROW_CODE=${ROW_RE#* | }
	ROW_RE=${ROW_RE%% | *}
}

bi_setup() {  # N: a fresh WORK, ROOT, ID, B for row number N
	WORK=$(mktemp -d /tmp/zrun-bi.XXXXXX)
	ROOT=$WORK/root
	ID=bi$$-$1
	PORT=$((18900 + ${PORT_SHIFT:-0} + ($1 % 50)))
	B=$WORK/good
	mkdir -p "$B"
	ln -s "$BI_ROOTFS" "$B/rootfs"
	CGROUPS_PATH=$CGROUPS_PATH_PARENT/$ID write_config "$B"
}

bi_setup_file() {  # one busybox rootfs for all rows
	BI_ROOTFS_DIR=$(mktemp -d /tmp/zrun-bi-rootfs.XXXXXX)
	make_rootfs "$BI_ROOTFS_DIR"
	export BI_ROOTFS=$BI_ROOTFS_DIR/rootfs
}

bi_teardown() {
	local id
	for id in $("$ZRUN" --root "$ROOT" list -q 2>/dev/null); do
		"$ZRUN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	mountpoint -q "$WORK/small" 2>/dev/null && umount "$WORK/small"
	rm -rf "$WORK"
}

# bi_exec: run ROW_CODE in this shell (it may set ROOT), stdout and stderr
# to files; sets BI_STATUS and BI_ERR.
bi_exec() {
	BI_STATUS=0
	eval "$ROW_CODE" > "$WORK/.out" 2> "$WORK/.err" < /dev/null || BI_STATUS=$?
	BI_ERR=$(cat "$WORK/.err")
}

# bi_check: the error is right and nothing is left. Prints what is wrong.
bi_check() {
	local ok=0 n d left
	[ "$BI_STATUS" -ne 0 ] || { echo "exited 0"; ok=1; }
	n=$(grep -c '' "$WORK/.err")
	[ "$n" -eq 1 ] || { echo "expected one line on stderr, saw $n: $BI_ERR"; ok=1; }
	[[ "$BI_ERR" == "zrun: "* ]] || { echo "stderr does not start with \"zrun: \": $BI_ERR"; ok=1; }
	grep -qiE -- "$ROW_RE" <<<"$BI_ERR" || { echo "stderr does not match /$ROW_RE/: $BI_ERR"; ok=1; }
	if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ]; then
		echo "left under --root: $(ls -A "$ROOT" | tr '\n' ' ')"; ok=1
	fi
	for d in /sys/fs/cgroup/*$CGROUPS_PATH_PARENT/"$ID"* /sys/fs/cgroup/*"$(default_cgroup "$ID")"* \
		 /sys/fs/cgroup$CGROUPS_PATH_PARENT/"$ID"* /sys/fs/cgroup"$(default_cgroup "$ID")"*; do
		[ -d "$d" ] && { echo "cgroup left: $d"; ok=1; }
	done
	left=$( { grep -lsF -- "$WORK" /proc/[0-9]*/cmdline
		  grep -lsF -- "ZRUN_SERVICE_ROOT=$WORK" /proc/[0-9]*/environ  # a service's fdstore or supervisor
		  find /proc/[0-9]*/root -maxdepth 0 -lname "$WORK*" 2>/dev/null; } |
		cut -d/ -f3 | grep -vx -e "$$" -e "$BASHPID" | sort -u | tr '\n' ' ')
	[ -z "$left" ] || { echo "processes left: $left"; ok=1; }
	return $ok
}
# END LIB

# BEGIN TABLE
: <<'END_TABLE'
create_truncated_json | config\.json: invalid JSON: .*premature EOF | zr create -b "$(json '{"ociVersion":')" "$ID"
create_config_not_an_object | config\.json: must be a JSON object | zr create -b "$(json '[1,2]')" "$ID"
create_json_nested_100000_deep | config\.json: invalid JSON: nesting deeper than 64 | zr create -b "$(json "$(printf '%*s' 100000 '' | tr ' ' '[')")" "$ID"
create_config_of_20_MiB | config\.json: .*too large | b=$(cfg ''); head -c 20971520 /dev/zero >> "$b/config.json"; zr create -b "$b" "$ID"
create_uid_of_the_wrong_type | process\.user\.uid: must be an integer | zr create -b "$(cfg 's/"uid": 0/"uid": "root"/')" "$ID"
create_ociversion_of_the_wrong_type | ociVersion: must be a string | zr create -b "$(cfg 's/"ociVersion": "1.2.0"/"ociVersion": 12/')" "$ID"
create_env_item_not_a_string | process\.env\[2\]: must be a string | zr create -b "$(cfg 's|"HOME=/root"|"HOME=/root", 7|')" "$ID"
create_without_root | config\.json: root: is required | zr create -b "$(json '{"ociVersion":"1.2.0"}')" "$ID"
create_empty_root_path | root\.path: must not be empty | zr create -b "$(cfg 's|"path": "rootfs"|"path": ""|')" "$ID"
create_root_path_escaping_the_bundle | root\.path .*/\.\./\.\./no-such-rootfs: no such file | zr create -b "$(cfg 's|"path": "rootfs"|"path": "../../no-such-rootfs"|')" "$ID"
create_empty_mount_destination | mounts\[0\]\.destination: must not be empty | zr create -b "$(cfg 's|"destination": "/proc"|"destination": ""|')" "$ID"
create_unknown_namespace | linux\.namespaces\[0\]\.type: unknown namespace "bogus" | zr create -b "$(cfg 's|"type":"pid"|"type":"bogus"|')" "$ID"
run_missing_binary | no-such-program.*not found | zr run -b "$(cfg 's|"args": \[[^]]*\]|"args": ["no-such-program"]|')" "$ID"
create_id_of_300_bytes | container id is longer than 255 bytes | zr create -b "$B" "$(printf 'x%.0s' {1..300})"
create_id_with_a_space | invalid container id "a b" | zr create -b "$B" "a b"
create_id_escaping_root | invalid container id "\.\./x" | zr create -b "$B" "../x"
run_detach_with_a_tty_and_no_console_socket | cannot allocate a tty without --console-socket | zr run -d -b "$(cfg 's/"terminal": false/"terminal": true/')" "$ID"
create_console_socket_that_does_not_exist | console socket .*/nosock: no such file | zr create --console-socket "$WORK/nosock" -b "$(cfg 's/"terminal": false/"terminal": true/')" "$ID"
create_pid_file_in_a_missing_dir | pid file /nonexistent/dir/pid: no such file | zr create --pid-file /nonexistent/dir/pid -b "$B" "$ID"
create_preserve_fds_not_a_number | preserve-fds.*"abc" | zr create --preserve-fds abc -b "$B" "$ID"
create_root_that_is_a_file | /rootfile.*not a directory | : > "$WORK/rootfile"; ROOT=$WORK/rootfile; zr create -b "$B" "$ID"
create_on_a_full_disk | no space left on device | mkdir "$WORK/small"; mount -t tmpfs -o size=128k tmpfs "$WORK/small"; dd if=/dev/zero of="$WORK/small/fill" bs=4k 2>/dev/null; ROOT=$WORK/small/root; mkdir "$ROOT"; zr create -b "$B" "$ID"
create_listen_without_service | --listen, --probe and --intercept need --service | zr create --listen "tcp://127.0.0.1:$PORT" -b "$B" "$ID"
create_listen_port_out_of_range | tcp://127\.0\.0\.1:99999 | zr create --service "$ID" --listen tcp://127.0.0.1:99999 -b "$B" "$ID"
create_listen_unknown_scheme | ftp://127\.0\.0\.1 | zr create --service "$ID" --listen "ftp://127.0.0.1:$PORT" -b "$B" "$ID"
create_listen_relative_unix_path | unix:relative/path | zr create --service "$ID" --listen unix:relative/path -b "$B" "$ID"
create_probe_exec_without_a_command | --probe exec:: expected accepting, http | zr create --service "$ID" --listen "tcp://127.0.0.1:$PORT" --probe exec: -b "$B" "$ID"
create_probe_timeout_zero | probe period and timeout must be at least 10ms | zr create --service "$ID" --listen "tcp://127.0.0.1:$PORT" --probe-timeout 0 -b "$B" "$ID"
create_probe_period_not_a_duration | soon | zr create --service "$ID" --listen "tcp://127.0.0.1:$PORT" --probe-period soon -b "$B" "$ID"
create_invalid_service_name | invalid service name "a/b" | zr create --service a/b --listen "tcp://127.0.0.1:$PORT" -b "$B" "$ID"
start_of_a_missing_container | start .*: container .* does not exist | zr start "$ID"
state_of_an_invalid_id | invalid container id "\.\." | zr state ..
kill_unknown_signal | unknown signal "SIGFOO" | zr kill "$ID" SIGFOO
kill_signal_out_of_range | unknown signal "65" | zr kill "$ID" 65
delete_of_a_missing_container | delete .*: container .* does not exist | zr delete "$ID"
list_with_an_argument | list: too many arguments | zr list extra
list_bad_format | list: --format: "yaml" | zr list --format yaml
list_root_that_is_a_file | --root .*/rootfile: not a directory | : > "$WORK/rootfile"; ROOT=$WORK/rootfile; zr list
spec_over_an_existing_config | spec: .*config\.json exists; remove it first | zr spec -b "$B"
spec_into_a_missing_dir | spec: .*/nope/config\.json: no such file | zr spec -b "$WORK/nope"
features_with_an_argument | features: too many arguments | zr features extra
exec_process_and_a_command | exec: --process and a COMMAND exclude each other | zr exec -p "$B/config.json" "$ID" sh
exec_without_an_id | exec: expects <container-id> | zr exec
exec_in_a_missing_container | exec .*: container .* does not exist | zr exec "$ID" true
pause_of_a_missing_container | pause .*: container .* does not exist | zr pause "$ID"
resume_of_a_missing_container | resume .*: container .* does not exist | zr resume "$ID"
update_memory_not_a_size | --memory: invalid value "lots" | zr update --memory lots "$ID"
update_resources_invalid_json | invalid JSON | echo '{"memory":' > "$WORK/r.json"; zr update -r "$WORK/r.json" "$ID"
events_interval_not_a_duration | --interval: "never" is not a duration | zr events -i never "$ID"
ps_bad_format | ps: --format: "yaml" | zr ps -f yaml "$ID"
swap_timeout_zero | swap: --timeout "0" | zr swap --timeout 0 "$ID-a" "$ID-b"
swap_of_unknown_versions | swap .*-a: container .*-a does not exist | zr swap "$ID-a" "$ID-b"
service_status_of_a_missing_service | service status: service .* does not exist | zr service status "$ID"
service_unknown_subcommand | service: expected list, status NAME | zr service bogus
deploy_missing_bundle | deploy .*: .*/nope/config\.json: no such file | zr deploy --listen "tcp://127.0.0.1:$PORT" "$ID" "$WORK/nope"
deploy_listen_host_not_an_address | --listen tcp://x:1: "x" is not an IPv4 or IPv6 address | zr deploy --listen tcp://x:1 "$ID" "$B"
deploy_http_probe_without_a_path | --probe http:nopath: http:PATH needs a path | zr deploy --probe http:nopath --listen "tcp://127.0.0.1:$PORT" "$ID" "$B"
deploy_zero_replicas | deploy: --replicas "0": expected a whole number from 1 to 64 | zr deploy --replicas 0 --listen "tcp://127.0.0.1:$PORT" "$ID" "$B"
deploy_unknown_restart_policy | --restart "sometimes" | zr deploy --restart sometimes --listen "tcp://127.0.0.1:$PORT" "$ID" "$B"
deploy_failure_threshold_zero | --probe-failure-threshold "0" | zr deploy --probe-failure-threshold 0 --listen "tcp://127.0.0.1:$PORT" "$ID" "$B"
scale_of_a_missing_service | scale .*: service .* does not exist | zr scale "$ID" 3
scale_not_a_number | scale .*: "lots": expected a number of replicas | zr scale "$ID" lots
logs_of_a_missing_service | logs: .* is neither a service nor a version | zr logs "$ID"
logs_tail_not_a_number | logs: --tail "x" | zr logs --tail x "$ID"
rollback_of_a_missing_service | rollback .*: service .* does not exist | zr rollback "$ID"
unknown_command | unknown command "bogus" | zr bogus
create_with_systemd_cgroup_where_systemd_is_not_init | create .*: --systemd-cgroup: systemd is not this host's init | zr --systemd-cgroup create -b "$B" "$ID"
END_TABLE
# END TABLE

setup_file() { bi_setup_file; }
teardown_file() { rm -rf "$(dirname "$BI_ROOTFS")"; }
setup() { bi_setup "$BATS_TEST_NUMBER"; }
teardown() { bi_teardown; }

row() {
	bi_row "$1"
	bi_exec
	bi_check >&2
}

@test "create_truncated_json" { row create_truncated_json; }
@test "create_config_not_an_object" { row create_config_not_an_object; }
@test "create_json_nested_100000_deep" { row create_json_nested_100000_deep; }
@test "create_config_of_20_MiB" { row create_config_of_20_MiB; }
@test "create_uid_of_the_wrong_type" { row create_uid_of_the_wrong_type; }
@test "create_ociversion_of_the_wrong_type" { row create_ociversion_of_the_wrong_type; }
@test "create_env_item_not_a_string" { row create_env_item_not_a_string; }
@test "create_without_root" { row create_without_root; }
@test "create_empty_root_path" { row create_empty_root_path; }
@test "create_root_path_escaping_the_bundle" { row create_root_path_escaping_the_bundle; }
@test "create_empty_mount_destination" { row create_empty_mount_destination; }
@test "create_unknown_namespace" { row create_unknown_namespace; }
@test "run_missing_binary" { row run_missing_binary; }
@test "create_id_of_300_bytes" { row create_id_of_300_bytes; }
@test "create_id_with_a_space" { row create_id_with_a_space; }
@test "create_id_escaping_root" { row create_id_escaping_root; }
@test "run_detach_with_a_tty_and_no_console_socket" { row run_detach_with_a_tty_and_no_console_socket; }
@test "create_console_socket_that_does_not_exist" { row create_console_socket_that_does_not_exist; }
@test "create_pid_file_in_a_missing_dir" { row create_pid_file_in_a_missing_dir; }
@test "create_preserve_fds_not_a_number" { row create_preserve_fds_not_a_number; }
@test "create_root_that_is_a_file" { row create_root_that_is_a_file; }
@test "create_on_a_full_disk" { row create_on_a_full_disk; }
@test "create_listen_without_service" { row create_listen_without_service; }
@test "create_listen_port_out_of_range" { row create_listen_port_out_of_range; }
@test "create_listen_unknown_scheme" { row create_listen_unknown_scheme; }
@test "create_listen_relative_unix_path" { row create_listen_relative_unix_path; }
@test "create_probe_exec_without_a_command" { row create_probe_exec_without_a_command; }
@test "create_probe_timeout_zero" { row create_probe_timeout_zero; }
@test "create_probe_period_not_a_duration" { row create_probe_period_not_a_duration; }
@test "create_invalid_service_name" { row create_invalid_service_name; }
@test "start_of_a_missing_container" { row start_of_a_missing_container; }
@test "state_of_an_invalid_id" { row state_of_an_invalid_id; }
@test "kill_unknown_signal" { row kill_unknown_signal; }
@test "kill_signal_out_of_range" { row kill_signal_out_of_range; }
@test "delete_of_a_missing_container" { row delete_of_a_missing_container; }
@test "list_with_an_argument" { row list_with_an_argument; }
@test "list_bad_format" { row list_bad_format; }
@test "list_root_that_is_a_file" { row list_root_that_is_a_file; }
@test "spec_over_an_existing_config" { row spec_over_an_existing_config; }
@test "spec_into_a_missing_dir" { row spec_into_a_missing_dir; }
@test "features_with_an_argument" { row features_with_an_argument; }
@test "exec_process_and_a_command" { row exec_process_and_a_command; }
@test "exec_without_an_id" { row exec_without_an_id; }
@test "exec_in_a_missing_container" { row exec_in_a_missing_container; }
@test "pause_of_a_missing_container" { row pause_of_a_missing_container; }
@test "resume_of_a_missing_container" { row resume_of_a_missing_container; }
@test "update_memory_not_a_size" { row update_memory_not_a_size; }
@test "update_resources_invalid_json" { row update_resources_invalid_json; }
@test "events_interval_not_a_duration" { row events_interval_not_a_duration; }
@test "ps_bad_format" { row ps_bad_format; }
@test "swap_timeout_zero" { row swap_timeout_zero; }
@test "swap_of_unknown_versions" { row swap_of_unknown_versions; }
@test "service_status_of_a_missing_service" { row service_status_of_a_missing_service; }
@test "service_unknown_subcommand" { row service_unknown_subcommand; }
@test "deploy_missing_bundle" { row deploy_missing_bundle; }
@test "deploy_listen_host_not_an_address" { row deploy_listen_host_not_an_address; }
@test "deploy_http_probe_without_a_path" { row deploy_http_probe_without_a_path; }
@test "deploy_zero_replicas" { row deploy_zero_replicas; }
@test "deploy_unknown_restart_policy" { row deploy_unknown_restart_policy; }
@test "deploy_failure_threshold_zero" { row deploy_failure_threshold_zero; }
@test "scale_of_a_missing_service" { row scale_of_a_missing_service; }
@test "scale_not_a_number" { row scale_not_a_number; }
@test "logs_of_a_missing_service" { row logs_of_a_missing_service; }
@test "logs_tail_not_a_number" { row logs_tail_not_a_number; }
@test "rollback_of_a_missing_service" { row rollback_of_a_missing_service; }
@test "unknown_command" { row unknown_command; }
@test "create_with_systemd_cgroup_where_systemd_is_not_init" { row create_with_systemd_cgroup_where_systemd_is_not_init; }
