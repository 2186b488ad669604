#!/usr/bin/env bats
# A service version whose config names a network namespace by path (every
# Kubernetes pod's) keeps it: the listener of a service it makes is made in
# that namespace, probes look there, and leaving the namespace for the
# host's is opt-in (--net service) and said. Ports 19100-19149.

PORT_BASE=19100
load service_helpers

setup() {
	svc_setup
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	NETNS=zrun-pod-$TEST_ID
	ip netns add "$NETNS"
	ip netns exec "$NETNS" ip link set lo up
}

teardown() {
	svc_teardown
	ip netns del "$NETNS" 2>/dev/null || true
}

POD_NAMESPACES() {
	echo "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"network\",\"path\":\"/run/netns/$NETNS\"}]"
}

netns_of() { stat -L -c %i "/proc/$1/ns/net"; }

in_pod() { ip netns exec "$NETNS" "$@"; }

@test "a_version_in_a_named_network_namespace_keeps_it_and_its_service_listens_there" {
	local v1=$TEST_ID-v1 v2=$TEST_ID-v2 b pod_ns pid body
	pod_ns=$(stat -L -c %i "/run/netns/$NETNS")
	b=$(NAMESPACES=$(POD_NAMESPACES) mkver "$v1")
	vcreate "$v1" "$b" --listen "tcp://127.0.0.1:$PORT" --probe http:/ --probe-period 50ms
	zr start "$v1"
	pid=$(init_pid "$v1")
	expect_eq "$(netns_of "$pid")" "$pod_ns" "network namespace of $v1 (the pod's is $pod_ns, the host's $(netns_of $$))"
	for _ in $(seq 100); do body=$(in_pod curl -s --max-time 1 "$URL/") && break; sleep 0.05; done
	[[ "$body" == *"$v1"* ]] || { echo "inside the pod's namespace, $URL/ answered \"$body\", expected $v1" >&2; false; }
	run curl -s --max-time 1 "$URL/"
	[ "$status" -ne 0 ] || { echo "the host's 127.0.0.1:$PORT answered \"$output\": the listener is not the pod's" >&2; false; }
	# a swap probes over http from the pod's namespace too
	b=$(NAMESPACES=$(POD_NAMESPACES) mkver "$v2")
	vcreate "$v2" "$b" --probe http:/ --probe-period 50ms
	run zr swap "$v1" "$v2"
	echo "$output"
	[ "$status" -eq 0 ]
	expect_eq "$(netns_of "$(init_pid "$v2")")" "$pod_ns" "network namespace of $v2"
	body=$(in_pod curl -s --max-time 2 "$URL/")
	[[ "$body" == *"$v2"* ]] || { echo "after the swap the pod's $URL/ answered \"$body\", expected $v2" >&2; false; }
}

@test "leaving_a_named_network_namespace_for_the_hosts_is_opt_in_and_said" {
	local v1=$TEST_ID-v1 b
	b=$(NAMESPACES=$(POD_NAMESPACES) mkver "$v1")
	echo "$v1" >> "$WORK/ids"
	# the container's stdio is create's: a file, not bats' `run` pipe
	zr create --service api --listen "tcp://127.0.0.1:$PORT" --net service "$v1" "$b" > "$WORK/create.out" 2>&1
	output=$(cat "$WORK/create.out")
	echo "$output"
	[[ "$output" == *"joins the host's network namespace (--net service)"*"/run/netns/$NETNS"* ]] ||
		{ echo "expected create to say the version joins the host's network namespace instead of /run/netns/$NETNS" >&2; false; }
	zr start "$v1"
	expect_eq "$(netns_of "$(init_pid "$v1")")" "$(netns_of $$)" "network namespace of $v1 with --net service"
	wait_serving "$URL/" "$v1"
}
