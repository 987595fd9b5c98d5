#!/bin/sh
# Runs onggi's whole test suite (as root): vet, unit and end-to-end tests,
# the OCI runtime-tools validation suite against runc and onggi-runc, and the
# OCI distribution-spec conformance suite against `onggi registry serve`.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run the suite as root" >&2; exit 1; }
./hack/deps.sh hack/packages.txt hack/test-packages.txt

echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 20m ./...

bin=$(mktemp -d /tmp/onggi-test-bin.XXXXXX)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/onggi" ./cmd/onggi
ln -sf onggi "$bin/onggi-runc"
if [ -x hack/runtime-validation.sh ]; then
	echo "== OCI runtime-tools validation (reference: runc)"
	./hack/runtime-validation.sh /usr/sbin/runc "$bin/onggi-runc"
fi
if [ -x hack/distribution-conformance.sh ]; then
	echo "== OCI distribution-spec conformance (auth off)"
	ONGGI="$bin/onggi" ./hack/distribution-conformance.sh
	echo "== OCI distribution-spec conformance (auth on: htpasswd + Bearer tokens, private repos)"
	AUTH=1 ONGGI="$bin/onggi" ./hack/distribution-conformance.sh
fi
echo "== all tests passed"
