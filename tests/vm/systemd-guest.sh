#!/bin/bash
# The systemd driver's tests, run by systemd itself (a oneshot unit) inside
# the qemu guest of tests/vm/systemd-run.sh: a Debian 12 root with systemd
# as PID 1 on pure cgroup v2. Prints TAP lines (and "# bench" lines) on the
# serial console, ends with "# zrun-vm-done" and powers the guest off.
export PATH=/zrun-vm:/usr/sbin:/usr/bin:/sbin:/bin
V=/zrun-vm               # what the host packed: zrun, busybox, bundles
ZRUN=$V/zrun
R=/run/zrun-sd           # zrun --root
B=/tmp/bundles
CG=/sys/fs/cgroup
n=0

ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
diag()   { echo "#   $*" | cut -c1-240; }
diag_file() { [ -s "$1" ] && tail -n "${2:-4}" "$1" | cut -c1-200 | sed 's/^/#   | /'; }
check() {  # NAME EXPECTED SAW
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "expected '$2', saw '$3'"; fi
}
zr() { timeout 60 "$ZRUN" --root "$R" "$@"; }
zs() { zr --systemd-cgroup "$@"; }
prop() { systemctl show -P "$2" "$1" 2>/dev/null; }  # UNIT PROPERTY
# The guest boots on pure cgroup v2 or (VM_SYSTEMD_CGROUP=v1) hybrid, as
# this project's hosts are: v1 controllers, systemd's own tree on cgroup2.
V1=no; [ "$(stat -fc %T $CG)" = cgroup2fs ] || V1=yes
MEMDIR=$CG; [ $V1 = yes ] && MEMDIR=$CG/memory   # where the memory files are
cg_pick() {  # /proc/PID/cgroup on stdin: the memory cgroup (v1) or the v2 one
	if [ $V1 = yes ]; then sed -n 's/^[0-9]*:memory://p'; else sed -n 's/^0:://p'; fi
}
cg_of() { cg_pick </proc/$1/cgroup; }  # PID
mem_limit() {  # DIR: the memory limit file's value
	if [ $V1 = yes ]; then cat $1/memory.limit_in_bytes 2>&1; else cat $1/memory.max 2>&1; fi
}
MEMPROP=MemoryMax; [ $V1 = yes ] && MEMPROP=MemoryLimit
state_of() { zr state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
pid_of() { zr state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }

make_rootfs() {
	local a
	mkdir -p $B/rootfs/bin $B/rootfs/proc $B/rootfs/dev $B/rootfs/tmp
	cp $V/busybox $B/rootfs/bin/busybox
	for a in $($V/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$B/rootfs/bin/$a"
	done
}

# bundle ID ARGS_JSON CGROUPS_PATH [RESOURCES_JSON]: makes $B/ID (no cgroup
# namespace, so that /proc/self/cgroup shows the host's path), all sharing
# one rootfs by its absolute path (runc refuses a symlink), an ociVersion
# that crun 1.8 knows
bundle() {
	local res=${4:-'{}'}
	mkdir -p "$B/$1"
	cat >"$B/$1/config.json" <<EOF
{
	"ociVersion": "1.0.2",
	"process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $2,
		"env": ["PATH=/bin"], "cwd": "/"},
	"root": {"path": "$B/rootfs"},
	"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
	"linux": {
		"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}],
		"cgroupsPath": "$3",
		"resources": $res
	}
}
EOF
}

t_booted() {
	check "systemd is PID 1" systemd "$(cat /proc/1/comm)"
	if [ $V1 = yes ]; then
		check "hybrid: cgroup v1 controllers, systemd's tree on cgroup2" "tmpfs cgroup2fs" \
			"$(stat -fc %T $CG) $(stat -fc %T $CG/unified)"
	else
		check "cgroup2 alone at /sys/fs/cgroup" cgroup2fs "$(stat -fc %T $CG)"
	fi
}

# create/start/state/exec/kill/delete with the resources as unit properties
t_lifecycle() {
	local u=zrun-test-c1.scope pid
	bundle c1 '["sleep","1000"]' "system.slice:zrun-test:c1" \
		'{"memory": {"limit": 67108864}, "pids": {"limit": 64},
		  "cpu": {"shares": 512, "quota": 50000, "period": 100000}}'
	if ! zs create -b $B/c1 c1 >/tmp/c1.log 2>&1; then
		not_ok "create --systemd-cgroup"; diag_file /tmp/c1.log; return
	fi
	ok "create --systemd-cgroup"
	pid=$(pid_of c1)
	check "the scope is active after create" active "$(prop $u ActiveState)"
	check "the scope is in the slice cgroupsPath names" system.slice "$(prop $u Slice)"
	check "the scope is delegated" yes "$(prop $u Delegate)"
	check "memory.limit is the unit's $MEMPROP" 67108864 "$(prop $u $MEMPROP)"
	check "pids.limit is the unit's TasksMax" 64 "$(prop $u TasksMax)"
	if [ $V1 = yes ]; then
		check "cpu.shares is the unit's CPUShares" 512 "$(prop $u CPUShares)"
	else
		check "cpu.shares 512 is the unit's CPUWeight" 20 "$(prop $u CPUWeight)"
	fi
	check "cpu.quota/period is the unit's CPUQuotaPerSecUSec" 500ms "$(prop $u CPUQuotaPerSecUSec)"
	check "the memory limit in the scope's cgroup" 67108864 "$(mem_limit $MEMDIR/system.slice/$u)"
	check "the init sits in the scope" "/system.slice/$u" "$(cg_of $pid)"
	check "state says created" created "$(state_of c1)"
	zs start c1
	check "state says running after start" running "$(state_of c1)"
	check "exec joins the scope" "/system.slice/$u" \
		"$(zs exec c1 cat /proc/self/cgroup 2>&1 | cg_pick)"
	zs update --memory 33554432 c1 >/tmp/c1.log 2>&1
	check "update sets $MEMPROP on the unit" 33554432 "$(prop $u $MEMPROP)"
	check "update writes the scope's memory limit" 33554432 "$(mem_limit $MEMDIR/system.slice/$u)"
	zs kill c1 KILL
	for _ in $(seq 100); do [ "$(state_of c1)" = stopped ] && break; sleep 0.05; done
	check "state says stopped after kill" stopped "$(state_of c1)"
	zs delete c1 >/tmp/c1.log 2>&1 || { diag "delete:"; diag_file /tmp/c1.log; }
	check "no unit after delete" not-found "$(prop $u LoadState)"
	check "no cgroup after delete" gone "$(ls -d $CG/system.slice/$u $CG/*/system.slice/$u 2>/dev/null || echo gone)"
	check "no state after delete" gone "$([ -e $R/c1 ] && echo there || echo gone)"
}

# A create that fails after systemd made the scope (a cpuset the guest does
# not have) leaves no unit, cgroup or state; a name another container's
# scope holds is refused and that scope is left alone.
t_failed_create() {
	local u=zrun-test-bad.scope out
	bundle bad '["true"]' "system.slice:zrun-test:bad" '{"cpu": {"cpus": "7"}}'
	out=$(zs create -b $B/bad bad 2>&1)
	check "a failed create exits non-zero" 1 "$?"
	case $out in *cpuset*) ok "its error names the cpuset";; *) not_ok "its error names the cpuset"; diag "$out";; esac
	check "a failed create leaves no unit" not-found "$(prop $u LoadState)"
	check "a failed create leaves no cgroup" gone "$(ls -d $CG/system.slice/$u $CG/*/system.slice/$u 2>/dev/null || echo gone)"
	check "a failed create leaves no state" gone "$([ -e $R/bad ] && echo there || echo gone)"

	bundle c2 '["sleep","1000"]' "system.slice:zrun-test:c2"
	zs create -b $B/c2 c2 >/dev/null 2>&1
	out=$(timeout 60 $ZRUN --root $R-other --systemd-cgroup create -b $B/c2 c2 2>&1)
	case $out in *"zrun-test-c2.scope"*already*) ok "a scope name in use is refused";;
		*) not_ok "a scope name in use is refused"; diag "$out";; esac
	check "the other container's scope is left running" active "$(prop zrun-test-c2.scope ActiveState)"
	zs delete --force c2 >/dev/null 2>&1
	check "delete --force stops the scope" not-found "$(prop zrun-test-c2.scope LoadState)"
	check "the refused create left no state" gone "$([ -e $R-other/c2 ] && echo there || echo gone)"
	# an unreadable state.json: delete --force still ends the scope
	bundle c3 '["sleep","1000"]' "system.slice:zrun-test:c3"
	zs create -b $B/c3 c3 >/dev/null 2>&1
	echo garbage >$R/c3/state.json
	out=$(zs delete --force c3 2>&1) || diag "delete --force of an unreadable state: $out"
	for _ in $(seq 50); do [ "$(prop zrun-test-c3.scope LoadState)" = not-found ] && break; sleep 0.1; done
	check "delete --force of an unreadable state leaves no unit" not-found "$(prop zrun-test-c3.scope LoadState)"
	check "delete --force of an unreadable state leaves no cgroup" gone "$(ls -d $CG/system.slice/zrun-test-c3.scope $CG/*/system.slice/zrun-test-c3.scope 2>/dev/null || echo gone)"
	check "delete --force of an unreadable state leaves no state" gone "$([ -e $R/c3 ] && echo there || echo gone)"
}

# A service's versions
 sit in zrun-SERVICE.slice; a swap moves the service
# from one scope to the next.
t_service() {
	local body
	sed '/"cgroupsPath"/d' $V/httpd-v1/config.json >/tmp/cfg && cp /tmp/cfg $V/httpd-v1/config.json
	sed '/"cgroupsPath"/d' $V/httpd-v2/config.json >/tmp/cfg && cp /tmp/cfg $V/httpd-v2/config.json
	if ! zs create --service api --listen tcp://127.0.0.1:8080 api-v1 $V/httpd-v1 >/tmp/svc.log 2>&1 ||
	   ! zs start api-v1 >>/tmp/svc.log 2>&1; then
		not_ok "a service version starts with --systemd-cgroup"; diag_file /tmp/svc.log; return
	fi
	ok "a service version starts with --systemd-cgroup"
	check "the version's scope is in the service's slice" zrun-api.slice "$(prop zrun-api-v1.scope Slice)"
	for _ in $(seq 50); do body=$($V/busybox wget -qO- http://127.0.0.1:8080/ 2>/dev/null) && break; sleep 0.1; done
	case $body in *v1*) ok "v1 serves";; *) not_ok "v1 serves"; diag "body '$body'";; esac
	zs create --service api api-v2 $V/httpd-v2 >>/tmp/svc.log 2>&1
	if zs swap api-v1 api-v2 >>/tmp/svc.log 2>&1; then ok "swap v1 -> v2"; else not_ok "swap v1 -> v2"; diag_file /tmp/svc.log; fi
	check "v2's scope is in the service's slice" zrun-api.slice "$(prop zrun-api-v2.scope Slice)"
	check "v1's scope is gone after the swap" not-found "$(prop zrun-api-v1.scope LoadState)"
	body=$($V/busybox wget -qO- http://127.0.0.1:8080/ 2>/dev/null)
	case $body in *v2*) ok "v2 serves after the swap";; *) not_ok "v2 serves after the swap"; diag "body '$body'";; esac
	zs delete --force api-v2 >/dev/null 2>&1
	check "v2's scope is gone after delete" not-found "$(prop zrun-api-v2.scope LoadState)"
}

# zrun deploy with --systemd-cgroup; the supervisor's restart of a killed
# version (no --systemd-cgroup of its own) makes it a scope again.
t_deploy_restart() {
	local pid0 pid1 st
	if ! zs deploy --listen tcp://127.0.0.1:8081 --restart always web $V/httpd-v1 >/tmp/web.log 2>&1; then
		not_ok "deploy --systemd-cgroup"; diag_file /tmp/web.log; return
	fi
	ok "deploy --systemd-cgroup"
	check "the deployed version's scope is in the service's slice" zrun-web.slice "$(prop zrun-web-1.scope Slice)"
	pid0=$(pid_of web-1)
	kill -9 "$pid0"
	for _ in $(seq 200); do
		pid1=$(pid_of web-1); st=$(state_of web-1)
		[ "${pid1:-0}" != 0 ] && [ "$pid1" != "$pid0" ] && [ "$st" = running ] && break
		sleep 0.1
	done
	check "the supervisor restarts the killed version" "running, new pid" "$st, $([ "$pid1" != "$pid0" ] && echo new || echo same) pid"
	check "the restarted version is a scope again" "active zrun-web.slice" \
		"$(prop zrun-web-1.scope ActiveState) $(prop zrun-web-1.scope Slice)"
	check "the restarted init is in its scope" "/zrun.slice/zrun-web.slice/zrun-web-1.scope" "$(cg_of $pid1)"
	zr delete --force web-1 >/dev/null 2>&1
	check "no unit after the deployed version's delete" not-found "$(prop zrun-web-1.scope LoadState)"
}

# containerd (Debian's 1.6) with the runc-v2 shim's SystemdCgroup option
# driving zrun: `ctr run --runc-systemd-cgroup` sets that option, as
# SystemdCgroup = true in config.toml does for CRI; the shim then passes
# --systemd-cgroup and cgroupsPath "system.slice:ctr:ID" to zrun.
CTD=/run/zrun-ctd
ctr_() { timeout 60 ctr -a $CTD/containerd.sock -n zrun "$@"; }
t_containerd() {
	local pid ctd u=ctr-t1.scope
	mkdir -p $CTD
	cat >$CTD/config.toml <<TOML
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.internal.v1.opt"]
[grpc]
  address = "$CTD/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/zrun/pause:test"
  # the guest has no apparmor_parser for CRI's default profile
  disable_apparmor = true
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "native"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    BinaryName = "$ZRUN"
    SystemdCgroup = true
# the RuntimeClass handler zrun of docs/containerd.md, with SystemdCgroup
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.zrun]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["zrun.*"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.zrun.options]
    BinaryName = "$ZRUN"
    Root = "$CTD/runc"
    SystemdCgroup = true
TOML
	containerd -c $CTD/config.toml >$CTD/log 2>&1 </dev/null &
	ctd=$!
	for _ in $(seq 100); do ctr_ version >/dev/null 2>&1 && break; sleep 0.2; done
	# native: the guest has no kernel modules, so no overlayfs
	if ! ctr_ image import --snapshotter native $V/image.tar >$CTD/import.log 2>&1; then
		not_ok "containerd imports the test image"; diag_file $CTD/import.log; diag_file $CTD/log
		kill $ctd; return
	fi
	if ! ctr_ run --snapshotter native -d --null-io --runc-binary $ZRUN --runc-systemd-cgroup --cgroup system.slice:ctr:t1 \
		docker.io/zrun/busybox:test t1 sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >$CTD/run.log 2>&1; then
		not_ok "ctr run --runc-systemd-cgroup with zrun"; diag_file $CTD/run.log; diag_file $CTD/log
		kill $ctd; return
	fi
	ok "ctr run --runc-systemd-cgroup with zrun"
	pid=$(ctr_ task ls 2>/dev/null | awk '$1 == "t1" { print $2 }')
	check "the task's scope is active" active "$(prop $u ActiveState)"
	check "the task sits in its scope" "/system.slice/$u" "$(cg_of $pid)"
	check "ctr task exec runs in the task" hi "$(ctr_ task exec --exec-id e1 t1 echo hi 2>&1)"
	ctr_ task kill -s KILL t1 >/dev/null 2>&1
	for _ in $(seq 100); do ctr_ task ls 2>/dev/null | grep -q 'STOPPED' && break; sleep 0.1; done
	ctr_ task delete t1 >$CTD/del.log 2>&1 || diag_file $CTD/del.log
	ctr_ container delete t1 >/dev/null 2>&1
	check "no scope after ctr task delete" not-found "$(prop $u LoadState)"
	command -v python3 >/dev/null && [ -f $V/pause.tar ] && t_cri
	kill $ctd; wait $ctd 2>/dev/null
}

# The CRI path with SystemdCgroup = true (tests/containerd/cri.py, as a
# kubelet on the systemd driver calls it): a pod of runtime class zrun whose
# cgroup parent is the pod's slice; CRI names each container's scope
# cri-containerd-ID.scope in that slice.
cri() { timeout 60 python3 $V/cri.py -s $CTD/containerd.sock "$@"; }
jfield() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }  # EXPR of d
t_cri() {
	local slice=kubepods-besteffort-podcri1.slice pod ctr out pid t cfg c
	local path=/kubepods.slice/kubepods-besteffort.slice/$slice
	local ns='{"network": "NODE", "pid": "CONTAINER", "ipc": "POD"}'
	for t in image pause; do
		ctr -a $CTD/containerd.sock -n k8s.io image import --snapshotter native $V/$t.tar >>$CTD/import.log 2>&1
	done
	cfg="{\"metadata\": {\"name\": \"web\", \"uid\": \"cri1\", \"namespace\": \"zrun-test\"},
		\"linux\": {\"cgroup_parent\": \"$slice\", \"security_context\": {\"namespace_options\": $ns}}}"
	if ! out=$(cri RunPodSandbox '{"config": '"$cfg"', "runtime_handler": "zrun"}' 2>&1); then
		not_ok "CRI RunPodSandbox, runtime class zrun, SystemdCgroup"; diag "$out"; diag_file $CTD/log; return
	fi
	ok "CRI RunPodSandbox, runtime class zrun, SystemdCgroup"
	pod=$(echo "$out" | jfield 'd["pod_sandbox_id"]')
	check "the pod's sandbox is a scope in the pod's slice" "active $slice" \
		"$(prop cri-containerd-$pod.scope ActiveState) $(prop cri-containerd-$pod.scope Slice)"
	c='{"metadata": {"name": "box"}, "image": {"image": "docker.io/zrun/busybox:test"},
		"command": ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 0.1; done"],
		"linux": {"security_context": {"namespace_options": '"$ns"'}}}'
	out=$(cri CreateContainer '{"pod_sandbox_id": "'$pod'", "config": '"$c"', "sandbox_config": '"$cfg"'}' 2>&1) &&
		ctr=$(echo "$out" | jfield 'd["container_id"]') &&
		out=$(cri StartContainer '{"container_id": "'$ctr'"}' 2>&1) &&
		out=$(cri ContainerStatus '{"container_id": "'$ctr'", "verbose": true}' 2>&1)
	check "CRI CreateContainer and StartContainer: RUNNING" CONTAINER_RUNNING "$(echo "$out" | jfield 'd["status"]["state"]' 2>&1 | tail -1)"
	pid=$(echo "$out" | jfield 'json.loads(d["info"]["info"])["pid"]' 2>/dev/null)
	check "the container sits in its scope in the pod's slice" "$path/cri-containerd-$ctr.scope" "$(cg_of "${pid:-0}" 2>&1)"
	check "zrun list shows the pod's sandbox and container" "2 running" \
		"$("$ZRUN" --root $CTD/runc/k8s.io list 2>&1 | grep -cE "^($pod|$ctr) .* running ") running"
	sleep 0.5  # the loop's trap is set
	cri StopContainer '{"container_id": "'$ctr'", "timeout": 10}' >/dev/null 2>&1
	out=$(cri ContainerStatus '{"container_id": "'$ctr'"}' 2>&1)
	check "CRI StopContainer: exited 0" "CONTAINER_EXITED 0" "$(echo "$out" | jfield 'd["status"]["state"], d["status"]["exit_code"]' 2>&1 | tail -1)"
	cri RemoveContainer '{"container_id": "'$ctr'"}' >/dev/null 2>&1
	cri StopPodSandbox '{"pod_sandbox_id": "'$pod'"}' >/dev/null 2>&1
	cri RemovePodSandbox '{"pod_sandbox_id": "'$pod'"}' >/dev/null 2>&1
	check "no scope after RemoveContainer and RemovePodSandbox" "not-found not-found" \
		"$(prop cri-containerd-$ctr.scope LoadState) $(prop cri-containerd-$pod.scope LoadState)"
	check "CRI lists no pod after RemovePodSandbox" "[]" "$(cri ListPodSandbox 2>&1 | jfield 'd["items"]' 2>&1)"
}

# podman (Debian's 4.3) with --cgroup-manager=systemd driving zrun: podman
# passes --systemd-cgroup and cgroupsPath "machine.slice:libpod:ID".
PM_DIR=/run/zrun-pm
pm() {
	timeout 120 podman --root $PM_DIR/root --runroot $PM_DIR/runroot --tmpdir $PM_DIR/tmp \
		--storage-driver vfs --runtime "$ZRUN" --cgroup-manager=systemd --events-backend=file "$@"
}
t_podman() {
	local cid u
	mkdir -p $PM_DIR
	if ! pm load -i $V/image.tar >$PM_DIR/load.log 2>&1; then
		not_ok "podman loads the test image"; diag_file $PM_DIR/load.log; return
	fi
	if ! pm run -d --name p1 --network none docker.io/zrun/busybox:test \
		sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >$PM_DIR/run.log 2>&1; then
		not_ok "podman --cgroup-manager=systemd run with zrun"; diag_file $PM_DIR/run.log; return
	fi
	ok "podman --cgroup-manager=systemd run with zrun"
	cid=$(pm inspect -f '{{.Id}}' p1 2>/dev/null)
	u=libpod-$cid.scope
	check "the container's scope is active in machine.slice" "active machine.slice" \
		"$(prop $u ActiveState) $(prop $u Slice)"
	check "podman exec runs in the container" hi "$(pm exec p1 echo hi 2>&1)"
	pm stop -t 5 p1 >$PM_DIR/stop.log 2>&1 || diag_file $PM_DIR/stop.log
	pm rm p1 >$PM_DIR/rm.log 2>&1 || diag_file $PM_DIR/rm.log
	check "no scope after podman rm" not-found "$(prop $u LoadState)"
}

# Lifecycle timing: `run /bin/true`, BENCH_RUNS rounds, each round running
# every runtime and driver once in turn (interleaved, so that a slow spell of
# the host hits all alike); per runtime the median in ms on a "# bench" line
# (systemd-run.sh prints the ratios).
BENCH_NAMES="zrun-cgroupfs zrun-systemd runc-cgroupfs runc-systemd crun-cgroupfs crun-systemd"
bench_cmd() {  # NAME: the runtime's command line up to its `run`
	case $1 in
	zrun-cgroupfs) echo "$ZRUN --root /run/bench-zrun run -b $B/bfs" ;;
	zrun-systemd)  echo "$ZRUN --root /run/bench-zrun --systemd-cgroup run -b $B/bsd" ;;
	runc-cgroupfs) echo "runc --root /run/bench-runc run -b $B/bfs" ;;
	runc-systemd)  echo "runc --root /run/bench-runc --systemd-cgroup run -b $B/bsd" ;;
	crun-cgroupfs) echo "crun --root /run/bench-crun run -b $B/bfs" ;;
	crun-systemd)  echo "crun --root /run/bench-crun --systemd-cgroup run -b $B/bsd" ;;
	esac
}

t_bench() {
	local i name t0 t1 failed=""
	bundle bfs '["/bin/true"]' "/bench/b"
	bundle bsd '["/bin/true"]' "system.slice:bench:b"
	for name in $BENCH_NAMES; do : >/tmp/bench.$name; done
	for i in $(seq "${BENCH_RUNS:-20}"); do
		for name in $BENCH_NAMES; do
			t0=$(date +%s%N)
			# shellcheck disable=SC2046 # the command line is words
			if ! $(bench_cmd $name) b$i >/tmp/bench.out 2>&1 </dev/null; then
				failed="$failed $name"; diag "$name: $(head -c 200 /tmp/bench.out)"; continue
			fi
			t1=$(date +%s%N)
			# zrun's run keeps nothing; runc's and crun's neither: make sure
			# (untimed), so that the next round's scope name is free
			${name%%-*} --root /run/bench-${name%%-*} delete --force b$i >/dev/null 2>&1
			echo $(((t1 - t0) / 1000)) >>/tmp/bench.$name
		done
	done
	for name in $BENCH_NAMES; do
		sort -n /tmp/bench.$name | awk -v n="$name" '{ v[NR] = $1 } END { if (NR)
			printf "# bench %s median_ms %.1f min_ms %.1f max_ms %.1f runs %d\n", n,
				v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000, NR }'
	done
	check "every bench run exits 0" "" "$failed"
	check "bench leaves no unit" "" "$(systemctl list-units --all --no-legend 'bench-*' 2>/dev/null)"
}

make_rootfs
echo "# zrun-vm: systemd tests start at uptime $(cut -d' ' -f1 /proc/uptime) s"
t_booted
t_lifecycle
t_failed_create
t_service
t_deploy_restart
command -v containerd >/dev/null && [ -f $V/image.tar ] && t_containerd
command -v podman >/dev/null && [ -f $V/image.tar ] && t_podman
[ "${ZRUN_VM_BENCH:-1}" = 1 ] && t_bench
left=$(systemctl list-units --all --no-legend 'zrun*' 2>/dev/null | grep -v 'zrun-vm-tests' | grep -v '\.slice')
check "no zrun scope is left" "" "$left"
echo "# zrun-vm: systemd tests end at uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "# zrun-vm-done"
sync
systemctl poweroff -ff
