#!/bin/bash
# make-bundle.sh NAME VERSION OUTDIR [EXTRA ARGS...]: an OCI bundle at OUTDIR
# whose rootfs holds only the static program bundles/out/NAME (or $BIN) at
# /NAME, run as ["/NAME", "--version-name", VERSION, EXTRA ARGS...].
# No network, no base image: tests use it to make variants, e.g.
#   bundles/make-bundle.sh httpd v2-slow /tmp/b --start-delay-ms 3000
# The bundle shares the service's network namespace (no "network" entry),
# leaves linux.cgroupsPath to the runtime, and keeps one capability.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 NAME VERSION OUTDIR [EXTRA ARGS...]" >&2
	exit 2
fi
name=$1 version=$2 out=$3
shift 3
bin=${BIN:-$(dirname "$0")/out/$name}
if [ ! -x "$bin" ]; then
	echo "make-bundle.sh: $bin: no such program (run make bundles/out/$name)" >&2
	exit 1
fi

json_string() {  # $1 as a JSON string (the arguments are plain text)
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

args="$(json_string "/$name"), $(json_string --version-name), $(json_string "$version")"
for a in "$@"; do
	args="$args, $(json_string "$a")"
done

# Built beside OUTDIR and renamed into place, so a half-made bundle is never
# seen under its name.
tmp=$(mktemp -d "$(dirname "$out")/.make-bundle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rootfs/proc" "$tmp/rootfs/dev" "$tmp/rootfs/tmp"
chmod 1777 "$tmp/rootfs/tmp"
chmod 755 "$tmp" "$tmp/rootfs"
cp "$bin" "$tmp/rootfs/$name"
chmod 755 "$tmp/rootfs/$name"
caps='["CAP_NET_BIND_SERVICE"]'
# RLIMIT_NOFILE 65536 ($NOFILE), but no more than our own hard limit: raising
# it needs CAP_SYS_RESOURCE, which some hosts (and sandboxes) do not grant,
# and a runtime must fail a config whose rlimit it cannot set.
nofile=${NOFILE:-65536}
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then
	nofile=$hard
fi
cat > "$tmp/config.json" <<JSON
{
	"ociVersion": "1.2.0",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [$args],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		"cwd": "/",
		"capabilities": { "bounding": $caps, "effective": $caps, "permitted": $caps },
		"rlimits": [{ "type": "RLIMIT_NOFILE", "hard": $nofile, "soft": $nofile }],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": $(json_string "$name-$version"),
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid","noexec","nodev","mode=1777","size=65536k"] }
	],
	"linux": {
		"namespaces": [{ "type": "pid" }, { "type": "mount" }, { "type": "ipc" }, { "type": "uts" }],
		"maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/scsi"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}
JSON
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
