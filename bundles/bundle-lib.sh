# shellcheck shell=bash
# Shared by bundles/make-bundle.sh and bundles/node-api/make-bundle.sh: the
# half-made bundle beside OUTDIR, the config.json both write, the rename
# into place. The bundle shares the service's network namespace (no
# "network" entry), leaves linux.cgroupsPath to the runtime, and keeps one
# capability.

json_string() {  # $1 as a JSON string (the arguments are plain text)
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# bundle_begin OUTDIR: sets $bundle_tmp, a directory beside OUTDIR with an
# empty rootfs (proc, dev, tmp), removed on exit unless bundle_commit ran;
# built there and renamed into place, a half-made bundle is never seen
# under its name.
bundle_begin() {
	mkdir -p "$(dirname "$1")"
	bundle_tmp=$(mktemp -d "$(dirname "$1")/.make-bundle.XXXXXX")
	# shellcheck disable=SC2064  # the name is fixed now
	trap "rm -rf '$bundle_tmp'" EXIT
	mkdir -p "$bundle_tmp/rootfs/proc" "$bundle_tmp/rootfs/dev" "$bundle_tmp/rootfs/tmp"
	chmod 1777 "$bundle_tmp/rootfs/tmp"
	chmod 755 "$bundle_tmp" "$bundle_tmp/rootfs"
}

# bundle_config ARGS ENV CWD HOSTNAME: $bundle_tmp/config.json; ARGS and ENV
# are the insides of JSON arrays, HOSTNAME a JSON string. ociVersion 1.0.2:
# bench/swap runs these bundles with Debian 12's crun 1.8.1 too, which
# refuses "1.2.0" ("unknown version specified"); nothing here is newer.
# RLIMIT_NOFILE 65536 ($NOFILE), but no more than our own hard limit: raising
# it needs CAP_SYS_RESOURCE, which some hosts (and sandboxes) do not grant,
# and a runtime must fail a config whose rlimit it cannot set.
bundle_config() {
	local nofile=${NOFILE:-65536} hard caps='["CAP_NET_BIND_SERVICE"]'
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then
		nofile=$hard
	fi
	cat > "$bundle_tmp/config.json" <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [$1],
		"env": [$2],
		"cwd": $(json_string "$3"),
		"capabilities": { "bounding": $caps, "effective": $caps, "permitted": $caps },
		"rlimits": [{ "type": "RLIMIT_NOFILE", "hard": $nofile, "soft": $nofile }],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": $4,
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
}

bundle_commit() {  # OUTDIR
	rm -rf "$1"
	mv "$bundle_tmp" "$1"
	trap - EXIT
}
