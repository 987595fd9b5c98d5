#!/usr/bin/env bash
# bench/image.sh — image unpack, save and load against umoci and skopeo, in
# one run, as ratios (peer time / onggi time: above 1 means onggi is faster).
#
#   sudo bench/image.sh            # needs root, debootstrap, umoci, skopeo, hyperfine, jq
#
# The Debian base (debootstrap, ~1 min the first time) is built once into
# $ONGGI_BENCH_CACHE (default /var/tmp/onggi-bench) and reused by later runs.
# RUNS sets hyperfine's run count (default 5).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
cache=${ONGGI_BENCH_CACHE:-/var/tmp/onggi-bench}
work=$(mktemp -d /var/tmp/onggi-bench-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in umoci skopeo hyperfine jq debootstrap; do
	command -v "$tool" >/dev/null || { echo "bench/image.sh: $tool not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/image.sh: run as root (debootstrap, ownership)" >&2; exit 1; }

onggi="$work/onggi"
(cd "$here" && go build -o "$onggi" ./cmd/onggi)
root="$cache/root"
og() { "$onggi" --root "$root" --runroot "$work/run" "$@"; }

echo "== preparing debian:bookworm (cached in $cache)" >&2
mkdir -p "$cache"
og image bootstrap debian:bookworm >/dev/null
og save --format oci -o "$work/deb-oci.tar" debian:bookworm
og save -o "$work/deb-docker.tar" debian:bookworm
mkdir "$work/layout"
tar -xf "$work/deb-oci.tar" -C "$work/layout"
ref=docker.io/library/debian:bookworm
size=$(stat -c %s "$work/deb-docker.tar")

# bench NAME ONGGI_CMD PEER_CMD PREPARE: runs both with hyperfine and prints
# one result line.
results=()
bench() {
	local name=$1 mine=$2 peer=$3 prepare=$4 json="$work/$1.json"
	hyperfine -N --runs "$runs" --warmup 1 --prepare "$prepare" --export-json "$json" \
		--command-name onggi "$mine" --command-name peer "$peer" >&2
	local a b
	a=$(jq '.results[0].mean' "$json")
	b=$(jq '.results[1].mean' "$json")
	results+=("$(awk -v n="$name" -v a="$a" -v b="$b" -v s="$size" \
		'BEGIN { printf "%-34s %8.3f s %8.3f s %6.2fx %8.0f MB/s\n", n, a, b, b/a, s/a/1e6 }')")
}

bench "unpack (onggi vs umoci unpack)" \
	"$onggi --root $root --runroot $work/run image unpack debian:bookworm $work/out" \
	"umoci unpack --image $work/layout:$ref $work/out" \
	"rm -rf $work/out"
bench "save (onggi vs skopeo oci→docker)" \
	"$onggi --root $root --runroot $work/run save -o $work/s.tar debian:bookworm" \
	"skopeo copy -q oci:$work/layout:$ref docker-archive:$work/s.tar:$ref" \
	"rm -f $work/s.tar"
bench "load (onggi vs skopeo docker→oci)" \
	"$onggi --root $work/r2 --runroot $work/run2 load -q -i $work/deb-docker.tar" \
	"skopeo copy -q docker-archive:$work/deb-docker.tar oci:$work/l2:$ref" \
	"rm -rf $work/r2 $work/l2"

echo
echo "debian:bookworm layer: $((size / 1000000)) MB, $runs runs each, ratio = peer / onggi"
printf '%-34s %10s %10s %7s %13s\n' operation onggi peer ratio "onggi rate"
printf '%s\n' "${results[@]}"
