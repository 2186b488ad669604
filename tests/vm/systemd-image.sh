#!/bin/bash
# Builds (once; cached) the root of the systemd guest: a minimal Debian 12
# with systemd as PID 1, D-Bus, runc, crun, containerd and podman (and the
# Python gRPC the CRI client needs), made with
# mmdebstrap from the package archive and packed as a gzipped cpio that the
# kernel unpacks as its initramfs. Usage: systemd-image.sh CACHE_DIR
# Prints the image's path; on failure the reason (last lines of the log)
# and exit 1. A new package list (VM_SYSTEMD_PACKAGES) or mirror
# (VM_SYSTEMD_MIRROR, default deb.debian.org) makes a new image.
set -u
cache=$1
packages=${VM_SYSTEMD_PACKAGES:-systemd,systemd-sysv,dbus,runc,crun,containerd,podman,procps,iproute2,python3-grpcio,python3-protobuf}
mirror=${VM_SYSTEMD_MIRROR:-http://deb.debian.org/debian}
key=$(printf '%s\n' "$packages" "$mirror" "v1" | sha256sum | cut -c1-12)
image=$cache/systemd-root-$key.cpio.gz
if [ -s "$image" ]; then
	echo "$image"; exit 0
fi
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed (make deps)"; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$cache/mmdebstrap.log
# No docs, man pages or locales: the root lives in the guest's RAM.
if ! mmdebstrap --variant=minbase --include="$packages" \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
	bookworm "$tmp/root" "$mirror" >"$log" 2>&1; then
	echo "mmdebstrap failed (no network to the archive?):"
	tail -n 5 "$log"
	exit 1
fi
(cd "$tmp/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/root.cpio.gz" || {
	echo "cannot pack the systemd root"; exit 1; }
# an image of another package list or mirror is 100 MB no run will use
find "$cache" -maxdepth 1 -name 'systemd-root-*.cpio.gz' ! -name "$(basename "$image")" -delete
mv "$tmp/root.cpio.gz" "$image"
echo "$image"
