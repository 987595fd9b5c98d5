#!/bin/sh
# Sets up onggi on a fresh Debian machine (as root) and runs a real container:
# installs the Debian packages, builds onggi into /usr/local/bin (with the
# onggi-runc link), makes the busybox image and runs it with the runtime.
set -eu
cd "$(dirname "$0")/.."
./hack/deps.sh
go build -o /usr/local/bin/onggi ./cmd/onggi
ln -sf onggi /usr/local/bin/onggi-runc
echo "built $(command -v onggi)"

# The main job at this stage: make the busybox base image locally (no
# registry needed), unpack it into an OCI bundle and run it with the runtime.
onggi image bootstrap busybox
onggi images busybox

bundle=$(mktemp -d /tmp/onggi-demo.XXXXXX)
trap 'onggi-runc delete -f onggi-demo >/dev/null 2>&1 || true; rm -rf "$bundle"' EXIT
onggi image unpack busybox "$bundle/rootfs"
cd "$bundle"
onggi-runc spec
jq '.process.terminal = false
  | .process.args = ["sh", "-c", "echo hello from an onggi container: host $(hostname), pid $$, uid $(id -u); ls /"]' \
	config.json > config.json.new && mv config.json.new config.json
onggi-runc run onggi-demo
