#!/usr/bin/env bash
# Runs the OCI distribution-spec conformance suite (pinned as a `go tool` in
# go.mod) against `onggi registry serve` on 127.0.0.1, with every test group
# enabled. Prints the suite's summary and exits non-zero on any failure.
#
#   hack/distribution-conformance.sh [results-dir]
#
# Environment: PORT (default: a free port), ONGGI (a prebuilt binary),
# AUTH=1 to run with authentication on (htpasswd user, Bearer token flow,
# the conformance repositories private to that user).
set -euo pipefail

cd "$(dirname "$0")/.."
work=$(mktemp -d)
results=${1:-$work/results}
cleanup() {
	if [[ -n "${srv_pid:-}" ]]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi
	rm -rf "$work/storage" "$work/bin"
}
trap cleanup EXIT

mkdir -p "$work/bin"
onggi=${ONGGI:-}
if [[ -z "$onggi" ]]; then
	onggi=$work/bin/onggi
	go build -o "$onggi" ./cmd/onggi
fi
go build -o "$work/bin/conformance" github.com/opencontainers/distribution-spec/conformance

port=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
serve_args=()
if [[ "${AUTH:-0}" == 1 ]]; then
	echo conformance-pw | "$onggi" registry htpasswd conformance >"$work/htpasswd"
	cat >"$work/auth.json" <<EOF2
{"htpasswd": "htpasswd", "repositories": [{"name": "conformance/*", "pull": ["conformance"], "push": ["conformance"]}]}
EOF2
	serve_args=(--config "$work/auth.json")
	export OCI_USERNAME=conformance OCI_PASSWORD=conformance-pw
fi
"$onggi" registry serve --listen "127.0.0.1:$port" --storage "$work/storage" "${serve_args[@]}" >"$work/server.log" 2>&1 &
srv_pid=$!
for _ in $(seq 100); do
	curl -sS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break
	sleep 0.1
done

export OCI_REGISTRY="127.0.0.1:$port"
export OCI_ROOT_URL="http://127.0.0.1:$port" # read by older suite versions
export OCI_TLS=disabled
export OCI_VERSION=1.1
export OCI_REPO1=conformance/repo1 OCI_REPO2=conformance/repo2
export OCI_NAMESPACE=$OCI_REPO1 OCI_CROSSMOUNT_NAMESPACE=$OCI_REPO2 # older names
export OCI_RESULTS_DIR=$results
unset OCI_CONFIGURATION # environment only (and we run in $work, which has no oci-conformance.yaml)
# Every API and data group on, including the ones off by default.
export OCI_API_PULL=true OCI_API_PUSH=true OCI_API_REFERRER=true
export OCI_API_BLOBS_ATOMIC=true OCI_API_BLOBS_DELETE=true OCI_API_BLOBS_DIGEST_HEADER=true
export OCI_API_BLOBS_MOUNT_ANONYMOUS=true OCI_API_BLOBS_UPLOAD_CANCEL=true
export OCI_API_MANIFESTS_ATOMIC=true OCI_API_MANIFESTS_DELETE=true OCI_API_MANIFESTS_DIGEST_HEADER=true
export OCI_API_MANIFESTS_TAG_PARAM=true
export OCI_API_TAGS_ATOMIC=true OCI_API_TAGS_DELETE=true OCI_API_TAGS_LIST=true
for d in IMAGE INDEX INDEX_LIST SPARSE ARTIFACT SUBJECT SUBJECT_MISSING ARTIFACT_LIST SUBJECT_LIST \
	DATA_FIELD NONDISTRIBUTABLE CUSTOM_FIELDS NO_LAYERS EMPTY_BLOB SHA512; do
	export "OCI_DATA_$d=true"
done
# Legacy (ginkgo-era) switches, harmless for the current suite.
export OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1
export OCI_AUTOMATIC_CROSSMOUNT=1 OCI_HIDE_SKIPPED_WORKFLOWS=0

mkdir -p "$results"
(cd "$work" && "$work/bin/conformance") | tee "$work/report.txt"

summary=$(sed -n '/^OCI Conformance Result:/,/Total/p' "$work/report.txt")

count() { awk -F: -v k="$1" '$1 ~ "^  "k"\\." {gsub(/ /,"",$2); print $2}' <<<"$summary"; }
fail=$(count FAIL)
error=$(count Error)
if ! grep -q '^OCI Conformance Result: Pass' <<<"$summary" || [[ "${fail:-0}" != 0 || "${error:-0}" != 0 ]]; then
	echo "conformance: FAILED (results in $results, server log $work/server.log)" >&2
	trap - EXIT; cleanup
	exit 1
fi
echo "conformance: passed (results in $results)" >&2
