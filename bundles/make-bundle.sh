#!/bin/bash
# make-bundle.sh NAME VERSION OUTDIR [EXTRA ARGS...]: an OCI bundle at OUTDIR
# whose rootfs holds only the static program bundles/out/NAME (or $BIN) at
# /NAME, run as ["/NAME", "--version-name", VERSION, EXTRA ARGS...].
# No network, no base image: tests use it to make variants, e.g.
#   bundles/make-bundle.sh httpd v2-slow /tmp/b --start-delay-ms 3000
# The config: bundles/bundle-lib.sh.
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

# shellcheck source=bundle-lib.sh
. "$(dirname "$0")/bundle-lib.sh"

args="$(json_string "/$name"), $(json_string --version-name), $(json_string "$version")"
for a in "$@"; do
	args="$args, $(json_string "$a")"
done

bundle_begin "$out"
cp "$bin" "$bundle_tmp/rootfs/$name"
chmod 755 "$bundle_tmp/rootfs/$name"
bundle_config "$args" '"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"' / \
	"$(json_string "$name-$version")"
bundle_commit "$out"
