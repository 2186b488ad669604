# Shared set-up for the containerd and podman tests: a containerd of our own
# (root, state, socket and runc root under one temp dir, zrun as the runtime)
# and an OCI image built locally. Teardown leaves no containerd, shim,
# container, mount, cgroup, fifo or socket behind.
ZRUN=${ZRUN:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/zrun}
ZRUN=$(readlink -f "$ZRUN")
CTD_NS=zrun-ctd                # containerd namespace: cgroups are /zrun-ctd/ID
CRI_NS=k8s.io                  # the CRI plugin's namespace (its pods, its images)
IMAGE=docker.io/zrun/busybox:test
PAUSE_IMAGE=docker.io/zrun/pause:test  # sandbox_image of config.toml.in
HTTPD=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/bundles/out/httpd
CTD_TIMEOUT=${CTD_TIMEOUT:-30} # seconds any one ctr command may take

# Fail with what was expected and what was seen.
expect_eq() {  # got want [what]
	if [ "$1" != "$2" ]; then
		echo "${3:-value}: expected \"$2\", saw \"$1\"" >&2
		return 1
	fi
}

expect_match() {  # text regex [what]
	if ! grep -qE -- "$2" <<<"$1"; then
		echo "${3:-output}: expected to match /$2/, saw:" >&2
		echo "$1" >&2
		return 1
	fi
}

# ---- containerd -----------------------------------------------------------

# ctd_setup: a fresh dir, config and containerd; exports what the tests use.
ctd_setup() {
	CTD_DIR=$(mktemp -d /tmp/zrun-ctd.XXXXXX)
	CTD_SOCK=$CTD_DIR/containerd.sock
	CTD_RUNC_ROOT=$CTD_DIR/runc
	CTD_FIFO=$CTD_DIR/fifo
	mkdir -p "$CTD_FIFO"
	# containerd puts shim sockets in /run/containerd/s whatever its config
	# says: remember whether those dirs were ours to remove.
	CTD_MADE_RUN=""
	[ -d /run/containerd ] || CTD_MADE_RUN=/run/containerd
	[ -d /run/containerd/s ] || CTD_MADE_RUN="/run/containerd/s $CTD_MADE_RUN"
	# A root without CAP_SYS_RESOURCE (this project's hosts) cannot lower
	# an oom_score_adj: a pod's sandbox asks for -998, which no runtime could
	# set there (runc fails the same way); containerd then clamps it.
	local restrict=false
	(( 0x$(awk '/^CapEff:/ { print $2 }' /proc/self/status) & (1 << 24) )) || restrict=true
	sed -e "s|@DIR@|$CTD_DIR|g" -e "s|@ZRUN@|$ZRUN|g" -e "s|@RESTRICT_OOM@|$restrict|g" \
		"$BATS_TEST_DIRNAME/config.toml.in" > "$CTD_DIR/config.toml"
	export CTD_DIR CTD_SOCK CTD_RUNC_ROOT CTD_FIFO CTD_MADE_RUN
	ctd_start
}

# shellcheck disable=SC2120  # containerd.bats passes another config
ctd_start() {  # [CONFIG]: default $CTD_DIR/config.toml
	# Its own session, no fd of bats (fd 3 open would make bats wait).
	setsid containerd -c "${1:-$CTD_DIR/config.toml}" </dev/null >>"$CTD_DIR/containerd.log" 2>&1 3>&- &
	echo $! > "$CTD_DIR/containerd.pid"
	local _
	for _ in $(seq 100); do
		ctr -a "$CTD_SOCK" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "containerd did not answer on $CTD_SOCK within 10 s; its log:" >&2
	tail -20 "$CTD_DIR/containerd.log" >&2
	return 1
}

# ctd_stop: stops containerd only (SIGTERM; its shims keep running).
ctd_stop() {
	local pid
	pid=$(cat "$CTD_DIR/containerd.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	local _
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$CTD_DIR/containerd.pid"
}

# The pids of the shims serving our containerd (their -address is our socket).
ctd_shim_pids() {
	local p
	for p in $(pgrep -f containerd-shim-runc-v2 2>/dev/null); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-address $CTD_SOCK " && echo "$p"
	done
	return 0
}

# Where a shim of ours listens: containerd 1.6 names the socket after
# sha256(ADDRESS/NAMESPACE/ID) under /run/containerd/s.
ctd_shim_socket() {  # ID [NAMESPACE]
	printf '%s' "$CTD_SOCK/${2:-$CTD_NS}/$1" | sha256sum | sed 's|^\([0-9a-f]*\).*|/run/containerd/s/\1|'
}

ctd_teardown() {
	[ -n "${CTD_DIR:-}" ] && [ -d "$CTD_DIR" ] || return 0
	local id p
	if [ -f "$CTD_DIR/containerd.pid" ]; then
		# CRI's pods (and their containers) through the CRI itself.
		for id in $(cri ListPodSandbox 2>/dev/null | jq -r '.items[].id' 2>/dev/null); do
			cri StopPodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>&1 || true
			cri RemovePodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>&1 || true
		done
		for id in $(c task ls -q 2>/dev/null); do
			c task kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
		done
		for id in $(c task ls -q 2>/dev/null); do
			c task delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(c containers ls -q 2>/dev/null); do
			c containers rm "$id" >/dev/null 2>&1 || true
		done
		ctd_stop
	fi
	# Shims whose containerd died with them still running.
	local ns
	for p in $(ctd_shim_pids); do
		id=$(tr '\0' '\n' < "/proc/$p/cmdline" | sed -n '/^-id$/{n;p}')
		ns=$(tr '\0' '\n' < "/proc/$p/cmdline" | sed -n '/^-namespace$/{n;p}')
		kill -KILL "$p" 2>/dev/null || true
		[ -n "$id" ] && rm -f "$(ctd_shim_socket "$id" "${ns:-$CTD_NS}")"
	done
	# Whatever zrun still holds under containerd's runc root (a killed
	# shim's container, a service supervisor), ctr's namespace and CRI's.
	for ns in "$CTD_NS" "$CRI_NS"; do
		[ -d "$CTD_RUNC_ROOT/$ns" ] || continue
		for id in $("$ZRUN" --root "$CTD_RUNC_ROOT/$ns" list -q 2>/dev/null); do
			"$ZRUN" --root "$CTD_RUNC_ROOT/$ns" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	# Rootfs (overlay) and snapshot mounts, deepest first.
	awk -v d="$CTD_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	cgroups_remove
	rm -rf "$CTD_DIR"
	for p in $CTD_MADE_RUN; do rmdir "$p" 2>/dev/null || true; done
	return 0
}

# Remove the (empty) cgroups of our namespace: /zrun-ctd/ID and /zrun-ctd.
cgroups_remove() {
	local d
	# rmdir removes a cgroup only when it has no process and no child.
	for d in /sys/fs/cgroup/*/"$CTD_NS"/*/ /sys/fs/cgroup/*/"$CTD_NS"/; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}

# c ARGS: ctr on our socket and namespace, bounded in time.
c() {
	timeout "$CTD_TIMEOUT" ctr -a "$CTD_SOCK" -n "$CTD_NS" "$@"
}

# cri METHOD [JSON]: one call of containerd's CRI (cri.py), bounded in time.
cri() {
	"$BATS_TEST_DIRNAME/cri.py" -s "$CTD_SOCK" -t "$CTD_TIMEOUT" "$@"
}

# The flags every `ctr run` needs here: ctr ignores the config's BinaryName
# and Root, and would leave its fifos in /run/containerd/fifo.
RUN_FLAGS() {
	echo --runc-binary "$ZRUN" --runc-root "$CTD_RUNC_ROOT" --fifo-dir "$CTD_FIFO"
}

crun_() {  # ctr run with our runtime flags: crun_ [ctr run options] IMAGE ID ARGS
	# shellcheck disable=SC2046
	c run $(RUN_FLAGS) "$@"
}

cexec() {  # ctr task exec with our fifo dir
	c task exec --fifo-dir "$CTD_FIFO" "$@"
}

# zrun on the root the runc shim gives it (Root/namespace).
zr() {
	"$ZRUN" --root "$CTD_RUNC_ROOT/$CTD_NS" "$@"
}

task_status() {  # ID: RUNNING, PAUSED, STOPPED, ... (ctr task ls)
	c task ls | awk -v id="$1" '$1 == id { print $3 }'
}

task_pid() {
	c task ls | awk -v id="$1" '$1 == id { print $2 }'
}

# A shell's trap is set a moment after the task is RUNNING, and a pid 1
# without a handler ignores SIGTERM: wait for the handler before a TERM.
wait_term_handler() {  # PID: until PID catches SIGTERM (SigCgt bit 15), at most 5 s
	local cgt _
	for _ in $(seq 50); do
		cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -n "$cgt" ] && (( 0x$cgt & 0x4000 )) && return 0
		sleep 0.1
	done
	echo "process $1 did not set a SIGTERM handler within 5 s" >&2
	return 1
}

wait_status() {  # ID STATUS [tenths of a second]
	local _
	for _ in $(seq "${3:-50}"); do
		[ "$(task_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	expect_eq "$(task_status "$1")" "$2" "status of task $1"
}

# Remove one task and its container, whatever state it is in.
ctd_remove() {  # ID...
	local id
	for id in "$@"; do
		c task kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
		c task delete -f "$id" >/dev/null 2>&1 || true
		c containers rm "$id" >/dev/null 2>&1 || true
	done
}

# The image tar (built once per suite run into $1).
build_image() {  # OUT.tar
	"$BATS_TEST_DIRNAME/image.sh" "$1" "$IMAGE" "$HTTPD"
}

# The pod sandbox image: the same busybox whose command stays up, as a
# pause container does (CRI stops it with SIGKILL).
build_pause_image() {  # OUT.tar
	IMAGE_CMD='["sleep","2147483647"]' "$BATS_TEST_DIRNAME/image.sh" "$1" "$PAUSE_IMAGE"
}

# Run CMD under a pseudo-terminal (script(1)); exit status is CMD's.
# The time limit is outside the pty: a `timeout` inside it would put the
# command in a background process group of the pty, where a program that sets
# the terminal up (podman -it) is stopped by SIGTTOU/SIGTTIN, and stays so.
in_pty() {  # CMD (a shell string)
	timeout -k 5 "$CTD_TIMEOUT" script -qefc "$1" /dev/null </dev/null
}
