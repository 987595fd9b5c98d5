#!/bin/sh
# Sets up onggi on a fresh Debian machine (as root) and runs a real container:
# installs the Debian packages, builds onggi into /usr/local/bin (with the
# onggi-runc link), then runs a busybox bundle with the runtime.
set -eu
cd "$(dirname "$0")/.."
./hack/deps.sh
go build -o /usr/local/bin/onggi ./cmd/onggi
ln -sf onggi /usr/local/bin/onggi-runc
echo "built $(command -v onggi)"

bundle=$(mktemp -d /tmp/onggi-demo.XXXXXX)
trap 'onggi-runc delete -f onggi-demo >/dev/null 2>&1 || true; rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev" "$bundle/rootfs/etc" "$bundle/rootfs/tmp"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
/bin/busybox --install -s "$bundle/rootfs/bin"
echo 'root:x:0:0:root:/root:/bin/sh' > "$bundle/rootfs/etc/passwd"
echo 'root:x:0:' > "$bundle/rootfs/etc/group"
cd "$bundle"
onggi-runc spec
jq '.process.terminal = false
  | .process.args = ["sh", "-c", "echo hello from an onggi container: host $(hostname), pid $$, uid $(id -u); ls /"]' \
	config.json > config.json.new && mv config.json.new config.json
onggi-runc run onggi-demo
