# Shared by the bench scripts: the v1-only cgroup view (crun 1.8.1 refuses this
# hybrid host) and one bundle config that zrun, crun and runc all accept.
# Both expect $TMP to be the script's own temporary directory.

# Replace /sys/fs/cgroup by a tmpfs with the v1 hierarchies bound back and the
# cgroup2 ("unified") mount left out. Symlinks such as cpu -> cpu,cpuacct are
# copied as they are.
make_v1_cgroup_view() {
	local orig=$TMP/cgroup-orig entry name
	mkdir -p "$orig"
	mount --rbind /sys/fs/cgroup "$orig"
	mount -t tmpfs -o mode=755,nosuid,nodev,noexec zrun-bench-cgroup /sys/fs/cgroup
	for entry in "$orig"/*; do
		name=${entry##*/}
		if [ -L "$entry" ]; then
			ln -s "$(readlink "$entry")" "/sys/fs/cgroup/$name"
		elif [ "$(stat -f -c %T "$entry")" = cgroupfs ]; then
			mkdir "/sys/fs/cgroup/$name"
			mount --bind "$entry" "/sys/fs/cgroup/$name"
		fi
	done
	umount -l "$orig"
}

# write_bench_config DIR RUNTIME ARGS_JSON: one config that all three accept
# (Debian's crun 1.8.1 refuses ociVersion 1.2.0). The rootfs is shared: the
# root path is absolute, so each runtime can have its own cgroupsPath.
write_bench_config() {
	local dir=$1 name=$2 args=$3
	local caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_AUDIT_WRITE"]'
	mkdir -p "$dir"
	cat >"$dir/config.json" <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": $args,
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
		"cwd": "/",
		"capabilities": { "bounding": $caps, "effective": $caps, "permitted": $caps },
		"noNewPrivileges": true
	},
	"root": { "path": "$TMP/rootfs", "readonly": false },
	"hostname": "bench",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"] }
	],
	"linux": {
		"namespaces": [{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}],
		"cgroupsPath": "/zrun-bench/$name"
	}
}
JSON
}

# zrun's default cgroup parent (/zrun, for versions whose config names no
# cgroupsPath): a bench removes it at the end only if it was not there at the
# start (others may share it), so a `make check` after `make bench` finds
# nothing of the bench (tests/leftovers.bats).
zrun_parent_before() {
	if compgen -G "/sys/fs/cgroup/*/zrun" >/dev/null || [ -d /sys/fs/cgroup/zrun ]; then
		echo had
	else
		echo none
	fi
}

remove_zrun_parent_if_made() {  # what zrun_parent_before said at the start
	[ "$1" = none ] || return 0
	local d
	for d in /sys/fs/cgroup/*/zrun /sys/fs/cgroup/zrun; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}
