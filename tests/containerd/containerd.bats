#!/usr/bin/env bats
# zrun under Debian's containerd 1.6: one containerd per run of this file
# (root, state, socket and runc root under /tmp/zrun-ctd.*; namespace and
# cgroup parent zrun-ctd), driven with ctr the way a user or the CRI would.
# Each test names its tasks and removes them; teardown_file stops
# everything, and zz_leftovers.bats checks that nothing is left.

load helpers

setup_file() {
	command -v containerd >/dev/null || skip "containerd is not installed"
	[ -x "$HTTPD" ] || make -C "$BATS_TEST_DIRNAME/../.." bundles/out/httpd >/dev/null
	ctd_setup
	build_image "$CTD_DIR/image.tar"
	c image import "$CTD_DIR/image.tar" >/dev/null
	# CRI sees only the images of its own namespace; nothing is pulled.
	build_pause_image "$CTD_DIR/pause.tar"
	local tar
	for tar in image pause; do
		ctr -a "$CTD_SOCK" -n "$CRI_NS" image import "$CTD_DIR/$tar.tar" >/dev/null
	done
}

teardown_file() {
	ctd_teardown
}

setup() {
	IDS=()
	PODS=()
	CTD_RESTORE=""
}

teardown() {
	[ ${#IDS[@]} -eq 0 ] || ctd_remove "${IDS[@]}"
	[ -z "${EVENTS_PID:-}" ] || kill "$EVENTS_PID" 2>/dev/null || true
	local pod
	for pod in "${PODS[@]}"; do
		cri StopPodSandbox "{\"pod_sandbox_id\":\"$pod\"}" >/dev/null 2>&1 || true
		cri RemovePodSandbox "{\"pod_sandbox_id\":\"$pod\"}" >/dev/null 2>&1 || true
	done
	# A test that ran containerd with another config: back to the suite's.
	if [ -n "$CTD_RESTORE" ]; then
		ctd_stop
		ctd_start
	fi
}

use() {  # ID...: tasks this test makes (removed by teardown)
	IDS+=("$@")
}

# A task that runs until SIGTERM (pid 1 ignores signals it has no handler for).
LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'

run_detached() {  # ID [ctr run options] -- [ARGS]; default ARGS: $LOOP
	local id=$1; shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	use "$id"
	local loop=0
	if [ $# -eq 0 ]; then set -- sh -c "$LOOP"; loop=1; fi
	crun_ -d --null-io "${opts[@]}" "$IMAGE" "$id" "$@"
	wait_status "$id" RUNNING
	[ "$loop" = 0 ] || wait_term_handler "$(task_pid "$id")"
}

# ctr events in the background into $CTD_DIR/events.ID, bounded in time.
events_start() {  # NAME
	EVENTS_FILE=$CTD_DIR/events.$1
	timeout 60 ctr -a "$CTD_SOCK" events >"$EVENTS_FILE" 2>&1 3>&- &
	EVENTS_PID=$!
	# subscribed before anything happens: until an event of ours shows
	local i
	for i in $(seq 50); do
		c namespaces label "$CTD_NS" "zrun.test.sync=$1-$i" >/dev/null 2>&1 || true
		grep -q '/namespaces/update' "$EVENTS_FILE" && return 0
		sleep 0.1
	done
	echo "ctr events showed nothing within 5 s" >&2
	return 1
}

events_stop() {
	kill "$EVENTS_PID" 2>/dev/null || true
	wait "$EVENTS_PID" 2>/dev/null || true
	EVENTS_PID=""
}

wait_for_event() {  # TOPIC ID [tenths]
	local _
	for _ in $(seq "${3:-50}"); do
		grep -E " $CTD_NS $1 .*\"container_id\":\"$2\"" "$EVENTS_FILE" && return 0
		sleep 0.1
	done
	echo "no $1 event of $2 in ctr events; saw:" >&2
	cat "$EVENTS_FILE" >&2
	return 1
}

@test "ctr_run_in_the_foreground_returns_the_exit_code" {
	use fg0 fg3
	run crun_ --rm "$IMAGE" fg0 sh -c 'echo hello from pid $$'
	expect_eq "$status" 0 "exit status of ctr run (exit 0)"
	expect_match "$output" '^hello from pid 1$' "output of the task"
	run crun_ --rm "$IMAGE" fg3 sh -c 'exit 3'
	expect_eq "$status" 3 "exit status of ctr run (exit 3)"
	run c containers ls -q
	! grep -qE '^fg[03]$' <<<"$output" || { echo "--rm left: $output" >&2; false; }
}

@test "ctr_run_detached_runs_in_its_own_cgroup_until_killed" {
	run_detached det1
	local pid
	pid=$(task_pid det1)
	run zr state det1
	expect_match "$output" '"status": *"running"' "zrun state of det1"
	expect_match "$output" "\"pid\": *$pid" "pid in zrun state"
	run cat "/proc/$pid/cgroup"
	expect_match "$output" ":/$CTD_NS/det1$" "cgroup of the task"
	c task kill det1
	wait_status det1 STOPPED
}

@test "ctr_run_tty_gives_the_task_a_terminal" {
	use tty1
	run in_pty "ctr -a $CTD_SOCK -n $CTD_NS run $(RUN_FLAGS) -t --rm $IMAGE tty1 sh -c 'tty; exit 5'"
	expect_eq "$status" 5 "exit status of ctr run -t"
	expect_match "$output" '/dev/pts/[0-9]+' "tty inside the task"
}

@test "task_exec_runs_in_the_task_and_returns_its_exit_code" {
	run_detached ex1
	run cexec --exec-id e1 ex1 sh -c 'echo $((6 * 7)) $(cat /proc/1/cmdline | tr "\0" " "); exit 4'
	expect_eq "$status" 4 "exit status of ctr task exec"
	expect_match "$output" '^42 sh -c trap' "output of the exec (sees the task's pid 1)"
	# A detached exec shows in ps while it runs.
	cexec -d --exec-id e2 ex1 sleep 30
	run c task ps ex1
	expect_eq "$status" 0 "ctr task ps"
	[ "$(grep -cE '^[0-9]+ ' <<<"$output")" -ge 2 ] || { echo "task ps: expected 2 processes, saw: $output" >&2; false; }
}

@test "task_exec_tty_gives_the_process_a_terminal" {
	run_detached ext1
	run in_pty "ctr -a $CTD_SOCK -n $CTD_NS task exec --fifo-dir $CTD_FIFO -t --exec-id t1 ext1 sh -c 'tty; exit 6'"
	expect_eq "$status" 6 "exit status of ctr task exec -t"
	expect_match "$output" '/dev/pts/[0-9]+' "tty inside the exec"
}

@test "task_kill_signals_init_and_kill_all_reaches_every_process" {
	run_detached k1
	c task kill k1                        # SIGTERM: the trap exits 0
	wait_status k1 STOPPED
	run c task delete k1
	expect_eq "$status" 0 "ctr task delete k1"
	! grep -q 'non-zero exit code' <<<"$output" || { echo "k1 should exit 0: $output" >&2; false; }

	# sh with two children that ignore SIGTERM: --all SIGKILL takes them all.
	run_detached k2 -- sh -c 'trap "" TERM; sleep 1000 & sleep 1000 & wait'
	local cg=/sys/fs/cgroup/pids/$CTD_NS/k2 _
	for _ in $(seq 50); do
		[ "$(wc -l < "$cg/cgroup.procs")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l < "$cg/cgroup.procs")" -ge 3 ] || { echo "k2: expected 3 processes in $cg" >&2; false; }
	c task kill --all -s SIGKILL k2
	wait_status k2 STOPPED
	[ ! -d "$cg" ] || [ -z "$(cat "$cg/cgroup.procs")" ] || { echo "left in $cg: $(cat "$cg/cgroup.procs")" >&2; false; }
	run c task delete k2
	expect_match "$output" 'exit code 137' "ctr task delete k2 (killed by SIGKILL)"
}

@test "task_pause_and_resume_freeze_the_task" {
	run_detached p1
	c task pause p1
	wait_status p1 PAUSED
	run zr state p1
	expect_match "$output" '"status": *"paused"' "zrun state after pause"
	c task resume p1
	wait_status p1 RUNNING
	run cexec --exec-id after p1 true
	expect_eq "$status" 0 "exec after resume"
}

@test "task_metrics_reports_memory_cpu_and_pids" {
	run_detached m1
	run c task metrics m1
	expect_eq "$status" 0 "ctr task metrics"
	expect_match "$output" 'memory.usage_in_bytes +[1-9]' "metrics table"
	expect_match "$output" 'pids.current +[1-9]' "metrics table"
	run c task metrics --format json m1
	expect_eq "$status" 0 "ctr task metrics --format json"
	expect_match "$output" '"memory"' "metrics json"
}

@test "task_ps_lists_the_task_processes" {
	run_detached ps1 -- sh -c 'sleep 1000 & wait'
	local _
	for _ in $(seq 50); do  # until the sleep is forked
		run c task ps ps1
		[ "$status" -eq 0 ] && [ "$(grep -cE '^[0-9]+ ' <<<"$output")" -ge 2 ] && break
		sleep 0.1
	done
	expect_eq "$status" 0 "ctr task ps"
	local pid
	pid=$(task_pid ps1)
	expect_match "$output" "^$pid " "task ps lists init ($pid)"
	[ "$(grep -cE '^[0-9]+ ' <<<"$output")" -eq 2 ] || { echo "task ps: expected 2 processes, saw: $output" >&2; false; }
}

@test "task_delete_and_container_rm_leave_nothing" {
	run_detached del1
	local pid
	pid=$(task_pid del1)
	c task kill -s SIGKILL del1
	wait_status del1 STOPPED
	c task delete del1
	run zr state del1
	expect_match "$output" 'does not exist' "zrun state after task delete"
	run c task ls -q
	! grep -qx del1 <<<"$output" || { echo "task del1 still listed" >&2; false; }
	c containers rm del1
	run c containers ls -q
	! grep -qx del1 <<<"$output" || { echo "container del1 still listed" >&2; false; }
	local d
	for d in /sys/fs/cgroup/*/"$CTD_NS"/del1; do
		[ ! -d "$d" ] || { echo "cgroup $d left" >&2; false; }
	done
	! grep -q "/del1/rootfs " /proc/self/mountinfo || { echo "rootfs of del1 still mounted" >&2; false; }
	[ ! -e "/proc/$pid" ] || [ "$(cat "/proc/$pid/comm")" != sh ] || { echo "pid $pid still there" >&2; false; }
}

@test "memory_limited_task_is_oom_killed_with_an_oom_event" {
	use oom1
	events_start oom
	run crun_ --rm --memory-limit 16777216 "$IMAGE" oom1 sh -c 'a=0123456789abcdef; while :; do a=$a$a; done'
	expect_eq "$status" 137 "exit status of the OOM-killed task"
	wait_for_event /tasks/oom oom1
	events_stop
}

@test "restarting_containerd_keeps_a_running_task" {
	run_detached rs1
	local pid shims
	pid=$(task_pid rs1)
	shims=$(ctd_shim_pids)
	ctd_stop
	kill -0 "$pid" || { echo "task pid $pid died with containerd" >&2; false; }
	for p in $shims; do kill -0 "$p" || { echo "shim $p died with containerd" >&2; false; }; done
	ctd_start
	wait_status rs1 RUNNING
	expect_eq "$(task_pid rs1)" "$pid" "pid of rs1 after the restart"
	run cexec --exec-id afterrestart rs1 sh -c 'exit 7'
	expect_eq "$status" 7 "exec after the restart"
	c task kill rs1
	wait_status rs1 STOPPED
}

@test "errors_reach_containerd_in_the_words_it_maps" {
	# A program that does not exist: the message of zrun's --log (last
	# "level":"error" line) is what ctr shows.
	use bad1
	run crun_ --rm "$IMAGE" bad1 /no/such/program
	[ "$status" -ne 0 ]
	expect_match "$output" 'OCI runtime create failed: .*/no/such/program.*(not found|no such file)' "ctr run of a missing program"

	# Kill of a finished task: zrun says "container not running", which the
	# shim's checkKillError maps to errdefs.ErrNotFound.
	use done1
	crun_ -d --null-io "$IMAGE" done1 true
	wait_status done1 STOPPED
	run c task kill done1
	[ "$status" -ne 0 ]
	expect_match "$output" 'process already finished: not found' "ctr task kill of a stopped task"

	local log=$CTD_DIR/zrun-log.json
	last_error() { grep '"level":"error"' "$log" | tail -1; }
	run zr --log "$log" --log-format json kill done1 KILL
	[ "$status" -ne 0 ]
	expect_match "$(last_error)" '"msg":"[^"]*container not running' "zrun kill of a stopped container, --log json"
	run zr --log "$log" --log-format json kill nosuch KILL
	expect_match "$(last_error)" '"msg":"[^"]*container nosuch does not exist' "zrun kill of an unknown id"
	run zr --log "$log" --log-format json delete nosuch
	expect_match "$(last_error)" '"msg":"[^"]*container nosuch does not exist' "zrun delete of an unknown id"

	# The runtime deleted the container under the shim (as `zrun swap`
	# does): containerd ignores "does not exist" and deletes the task.
	zr delete done1
	run c task delete done1
	expect_eq "$status" 0 "ctr task delete after zrun delete: $output"
}

@test "service_swap_between_two_tasks_keeps_serving_and_old_exits_0" {
	local port=19200
	! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || skip "port $port is in use"
	local ann=(--annotation zrun.service=web --annotation "zrun.listen=tcp://127.0.0.1:$port")
	run_detached web1 "${ann[@]}" -- httpd --version-name v1
	run curl -sS -m 2 "http://127.0.0.1:$port/"
	expect_eq "$output" v1 "answer of web1"
	run_detached web2 "${ann[@]}" -- httpd --version-name v2
	events_start swap
	wrk -t2 -c8 -d3s "http://127.0.0.1:$port/" >"$CTD_DIR/wrk.txt" 2>&1 3>&- &
	local wrk=$!
	sleep 1
	run timeout 30 "$ZRUN" --root "$CTD_RUNC_ROOT/$CTD_NS" swap --grace-period 5s web1 web2
	expect_eq "$status" 0 "zrun swap web1 web2: $output"
	wait "$wrk"
	cat "$CTD_DIR/wrk.txt"
	! grep -qE 'Socket errors|Non-2xx' "$CTD_DIR/wrk.txt" || { echo "requests failed during the swap" >&2; false; }
	run curl -sS -m 2 "http://127.0.0.1:$port/"
	expect_eq "$output" v2 "answer after the swap"
	# containerd saw web1's process exit on its own, with status 0.
	wait_status web1 STOPPED
	wait_status web2 RUNNING
	run wait_for_event /tasks/exit web1
	expect_eq "$status" 0 "exit event of web1"
	! grep -q '"exit_status":[1-9]' <<<"$output" || { echo "web1 exited non-zero: $output" >&2; false; }
	events_stop
	run c task delete web1
	expect_eq "$status" 0 "ctr task delete web1: $output"
	! grep -q 'non-zero exit code' <<<"$output" || { echo "web1 exit: $output" >&2; false; }
}

@test "cri_config_selects_zrun_for_runc_and_the_zrun_runtime_class" {
	run containerd -c "$CTD_DIR/config.toml" config dump
	expect_eq "$status" 0 "containerd config dump"
	local section
	for section in runc zrun; do
		expect_match "$output" "runtimes\\.$section\\.options\\]" "runtime $section in the CRI config"
	done
	[ "$(grep -c "BinaryName = \"$ZRUN\"" <<<"$output")" -eq 2 ] || { echo "BinaryName of both runtimes should be $ZRUN" >&2; false; }
	expect_match "$output" 'pod_annotations = \["zrun\.\*"\]' "zrun runtime passes the pod's zrun.* annotations"
	run c plugins ls
	expect_match "$output" 'io.containerd.grpc.v1 +cri .* ok' "cri plugin"
	expect_match "$output" 'io.containerd.runtime.v2 +task .* ok' "runtime v2 plugin"
}

# ---- the CRI plugin, driven as a kubelet does (tests/containerd/cri.py) ----

cri_needs_grpc() {
	/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null ||
		skip "no python3-grpcio / python3-protobuf (make deps installs them)"
}

# A pod as the kubelet asks for one with hostNetwork: true (NamespaceMode
# NODE: no CNI), each container in its own pid namespace, the pod's IPC.
NS_OPTS='{"network": "NODE", "pid": "CONTAINER", "ipc": "POD"}'
pod_config() {  # NAME UID CGROUP_PARENT
	jq -nc --arg name "$1" --arg uid "$2" --arg cg "$3" --argjson ns "$NS_OPTS" \
		'{metadata: {name: $name, uid: $uid, namespace: "zrun-test"},
		  linux: {cgroup_parent: $cg, security_context: {namespace_options: $ns}}}'
}

# RunPodSandbox with runtime_handler zrun (a RuntimeClass "zrun"); the pod's
# id goes to POD and to the pods teardown removes.
run_pod() {  # POD_CONFIG
	local out
	out=$(cri RunPodSandbox "$(jq -nc --argjson c "$1" '{config: $c, runtime_handler: "zrun"}')") || return 1
	POD=$(jq -r .pod_sandbox_id <<<"$out")
	PODS+=("$POD")
}

# What the CRI, zrun, the cgroups, mounts and shims still hold of IDs.
cri_left_of() {  # ID...
	local id d
	cri ListPodSandbox | jq -r '.items[].id'
	cri ListContainers | jq -r '.containers[].id'
	zr_cri list -q
	for id in "$@"; do
		for d in /sys/fs/cgroup/*/"$CTD_NS"/"$id"; do
			[ ! -d "$d" ] || echo "cgroup $d"
		done
		grep -F "/$id/" /proc/self/mountinfo | awk '{ print "mount " $5 }'
		pgrep -af "containerd-shim-runc-v2 .*-id $id" | sed 's/^/shim /'
	done
	return 0
}

zr_cri() {  # zrun on the runc root of CRI's namespace
	"$ZRUN" --root "$CTD_RUNC_ROOT/$CRI_NS" "$@"
}

@test "cri_runs_a_pod_of_runtime_class_zrun_with_a_busybox_container_and_removes_it" {
	cri_needs_grpc
	# The field numbers of cri.py, checked against containerd's own answer.
	run cri Version '{"version": "v1"}'
	expect_eq "$status" 0 "CRI Version: $output"
	expect_eq "$(jq -r '.runtime_name + " " + .runtime_api_version' <<<"$output")" "containerd v1" "CRI runtime name and API version"

	local cfg
	cfg=$(pod_config web uid-cri-1 "/$CTD_NS")
	run_pod "$cfg"
	run cri PodSandboxStatus "{\"pod_sandbox_id\":\"$POD\"}"
	expect_eq "$(jq -r '[.status.state, .status.runtime_handler, .status.metadata.name] | join(" ")' <<<"$output")" \
		"SANDBOX_READY zrun web" "pod state, runtime handler and name"

	local ctr_cfg out ctr
	ctr_cfg=$(jq -nc --arg image "$IMAGE" --arg loop "$LOOP" --argjson ns "$NS_OPTS" \
		'{metadata: {name: "box"}, image: {image: $image}, command: ["sh", "-c", $loop],
		  linux: {security_context: {namespace_options: $ns}}}')
	out=$(cri CreateContainer "$(jq -nc --arg pod "$POD" --argjson c "$ctr_cfg" --argjson s "$cfg" \
		'{pod_sandbox_id: $pod, config: $c, sandbox_config: $s}')")
	ctr=$(jq -r .container_id <<<"$out")
	cri StartContainer "{\"container_id\":\"$ctr\"}" >/dev/null
	run cri ContainerStatus "{\"container_id\":\"$ctr\",\"verbose\":true}"
	expect_eq "$(jq -r '[.status.state, .status.metadata.name, .status.image.image] | join(" ")' <<<"$output")" \
		"CONTAINER_RUNNING box $IMAGE" "container state, name and image"
	local pid
	pid=$(jq -r '.info.info | fromjson | .pid' <<<"$output")

	# zrun runs both, under the runc root the zrun runtime names.
	run zr_cri list
	expect_match "$output" "^$POD +[0-9]+ +running " "the pod's sandbox in zrun list"
	expect_match "$output" "^$ctr +$pid +running " "the container in zrun list"
	expect_match "$(cat "/proc/$pid/cgroup")" ":pids:/$CTD_NS/$ctr$" "the container's cgroup (under the pod's cgroup_parent)"
	expect_eq "$(readlink "/proc/$pid/ns/net")" "$(readlink /proc/self/ns/net)" "network namespace (host network)"
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || { echo "the container shares the host's pid namespace" >&2; false; }

	run cri ExecSync "{\"container_id\":\"$ctr\",\"cmd\":[\"sh\",\"-c\",\"echo in \$(cat /proc/1/comm); exit 3\"],\"timeout\":10}"
	expect_eq "$(jq -r '[.stdout, .exit_code] | join("")' <<<"$output")" "in sh
3" "ExecSync output and exit code"

	# StopContainer: SIGTERM, which the loop's trap turns into exit 0.
	wait_term_handler "$pid"
	cri StopContainer "{\"container_id\":\"$ctr\",\"timeout\":10}" >/dev/null
	run cri ContainerStatus "{\"container_id\":\"$ctr\"}"
	expect_eq "$(jq -r '[.status.state, .status.exit_code] | join(" ")' <<<"$output")" "CONTAINER_EXITED 0" "state after StopContainer"
	cri RemoveContainer "{\"container_id\":\"$ctr\"}" >/dev/null
	cri StopPodSandbox "{\"pod_sandbox_id\":\"$POD\"}" >/dev/null
	cri RemovePodSandbox "{\"pod_sandbox_id\":\"$POD\"}" >/dev/null
	expect_eq "$(cri_left_of "$POD" "$ctr")" "" "left of the pod"
	[ ! -e "/proc/$pid" ] || [ "$(cat "/proc/$pid/comm")" != sh ] || { echo "pid $pid still there" >&2; false; }
}

@test "cri_with_systemd_cgroup_reports_zruns_refusal_where_systemd_is_not_init" {
	cri_needs_grpc
	[ ! -d /run/systemd/system ] || skip "systemd is this host's init (tests/vm/systemd-guest.sh covers it)"
	# The suite's config with SystemdCgroup = true in the zrun runtime's
	# options: the shim runs zrun --systemd-cgroup.
	sed '/runtimes\.zrun\.options\]/a\        SystemdCgroup = true' \
		"$CTD_DIR/config.toml" > "$CTD_DIR/config-systemd.toml"
	expect_match "$(containerd -c "$CTD_DIR/config-systemd.toml" config dump)" 'SystemdCgroup = true' "config dump"
	CTD_RESTORE=1
	ctd_stop
	ctd_start "$CTD_DIR/config-systemd.toml"

	# A kubelet on the systemd driver names a slice as the cgroup parent.
	run run_pod "$(pod_config web uid-cri-2 zrun-ctd.slice)"
	expect_eq "$status" 1 "exit status of RunPodSandbox"
	expect_eq "$(wc -l <<<"$output")" 1 "lines of the error"
	expect_match "$output" '^cri: RunPodSandbox: UNKNOWN: .*OCI runtime create failed: create [0-9a-f]{64}: --systemd-cgroup: systemd is not this host.s init \(/run/systemd/system is missing\); use the cgroupfs driver' \
		"CRI's error"
	local id
	id=$(grep -oE 'create [0-9a-f]{64}' <<<"$output" | cut -d' ' -f2)
	expect_eq "$(cri_left_of "$id")" "" "left of the refused pod"
	run find /sys/fs/cgroup -maxdepth 2 -name 'zrun-ctd.slice*'
	expect_eq "$output" "" "cgroups of the slice"
}

@test "nothing_of_the_tests_is_left_running_under_containerd" {
	run c task ls -q
	expect_eq "$output" "" "tasks left"
	run c containers ls -q
	expect_eq "$output" "" "containers left"
	run zr list -q
	expect_eq "$output" "" "zrun containers left under containerd's runc root"
	run zr_cri list -q
	expect_eq "$output" "" "zrun containers left under the runc root of CRI's namespace"
	if /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
		run cri ListPodSandbox
		expect_eq "$output" '{"items": []}' "CRI pods left"
	fi
}
