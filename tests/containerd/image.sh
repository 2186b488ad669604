#!/bin/bash
# Builds an OCI image tarball (oci-layout, index.json, manifest, config, one
# layer) from a busybox-static rootfs, with no network: the image that the
# containerd and podman tests load.  Usage: image.sh OUT.tar NAME:TAG [EXTRA_FILE...]
# Each EXTRA_FILE is copied into the image's /bin (the demo httpd).
# IMAGE_CMD (a JSON array, default ["sh"]) is the image's command: the CRI
# runs a pod's sandbox (pause) container with it, which must stay up.
set -eu
cmd=${IMAGE_CMD:-'["sh"]'}
out=$1 ref=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/bundle.sh"

work=$(mktemp -d /tmp/zrun-img.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_rootfs "$work"
# --remove-destination: bin/httpd is a busybox applet link, not to be followed
for f in "$@"; do cp --remove-destination "$f" "$work/rootfs/bin/"; done

blobs=$work/oci/blobs/sha256
mkdir -p "$blobs"
# A reproducible layer: fixed owner and times, sorted names.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	-C "$work/rootfs" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$blobs/$layer"

blob() {  # FILE: moves it into blobs/, prints "DIGEST SIZE"
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$blobs/$d"
	echo "$d $s"
}

cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":$cmd,"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"tests/containerd/image.sh"}]}
JSON
read -r config config_size < <(blob "$work/config.json")

cat > "$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config","size":$config_size},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer","size":$layer_size}]}
JSON
read -r manifest manifest_size < <(blob "$work/manifest.json")

cat > "$work/oci/index.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
 "manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest","size":$manifest_size,
  "platform":{"architecture":"amd64","os":"linux"},
  "annotations":{"org.opencontainers.image.ref.name":"${ref##*:}","io.containerd.image.name":"$ref"}}]}
JSON
echo '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/oci" -cf "$out" .
