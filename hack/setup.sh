#!/bin/sh
# Sets up onggi on a fresh Debian machine (as root) and runs a real container:
# installs the Debian packages, builds onggi into /usr/local/bin (with the
# onggi-runc link), makes the busybox image and runs a container from it.
set -eu
cd "$(dirname "$0")/.."
./hack/deps.sh
go build -o /usr/local/bin/onggi ./cmd/onggi
ln -sf onggi /usr/local/bin/onggi-runc
echo "built $(command -v onggi)"

# The main job: make the busybox base image locally (no registry needed)
# and run a container from it with the engine: an overlay root, Docker's
# default isolation, supervised by onggi's monitor, removed on exit.
onggi image bootstrap busybox
onggi images busybox
onggi run --rm --name onggi-demo busybox \
	sh -c 'echo "hello from an onggi container: host $(hostname), pid $$, uid $(id -u)"; ls /'
