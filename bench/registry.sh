#!/usr/bin/env bash
# bench/registry.sh — registry push and pull, onggi client ↔ onggi server
# against skopeo copy ↔ docker-registry (CNCF distribution 2.8), and the two
# servers under 20 concurrent pullers; in one run, as ratios (peer time /
# onggi time: above 1 means onggi is faster).
#
#   sudo bench/registry.sh   # needs root, debootstrap, skopeo, hyperfine, jq, curl, docker-registry
#
# Images: debian:bookworm (built once by `onggi image bootstrap`, cached in
# $ONGGI_BENCH_CACHE, default /var/tmp/onggi-bench, shared with image.sh) and
# a generated 500 MB image of 5 incompressible 100 MB layers (cached too).
# RUNS sets hyperfine's run count (default 3).
#
# Both sides move the same bytes: skopeo runs with --preserve-digests (and
# --dest-oci-accept-uncompressed-layers when pulling), since by default it
# gzips uncompressed layers on the way, which would compare a 51 MB transfer
# plus compression with a 122 MB one. onggi pull verifies and fsyncs every
# blob and records the image; skopeo writes an OCI layout without fsync.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
cache=${ONGGI_BENCH_CACHE:-/var/tmp/onggi-bench}
work=$(mktemp -d /var/tmp/onggi-bench-reg.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

for tool in skopeo hyperfine jq curl python3 docker-registry; do
	command -v "$tool" >/dev/null || { echo "bench/registry.sh: $tool not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/registry.sh: run as root (debootstrap)" >&2; exit 1; }

onggi="$work/onggi"
(cd "$here" && go build -o "$onggi" ./cmd/onggi)
root="$cache/root"
og() { "$onggi" --root "$root" --runroot "$work/run" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== preparing images (cached in $cache)" >&2
mkdir -p "$cache"
og image bootstrap debian:bookworm >/dev/null
if ! og image inspect bigbench:1 >/dev/null 2>&1; then
	# 5 layers, each a tar of one 100 MB random file, as an OCI archive.
	python3 - "$work/big" <<'PY'
import hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d
layers, diffs = [], []
for i in range(5):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        data = os.urandom(100 * 1000 * 1000)
        ti = tarfile.TarInfo(f"layer{i}/data.bin"); ti.size = len(data); ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    d = put(raw)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(raw)})
    diffs.append(d)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                  "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
cd = put(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
                  "layers": layers}).encode()
md = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": len(man), "annotations": {
               "io.containerd.image.name": "docker.io/library/bigbench:1",
               "org.opencontainers.image.ref.name": "1"}}]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
	tar -C "$work/big" -cf "$work/big.tar" .
	og load -q -i "$work/big.tar" >/dev/null
	rm -rf "$work/big" "$work/big.tar"
fi

# OCI layouts of the same images for skopeo.
for img in debian:bookworm bigbench:1; do
	name=${img%%:*}
	og save --format oci -o "$work/$name.tar" "$img"
	mkdir "$work/$name-layout"
	tar -xf "$work/$name.tar" -C "$work/$name-layout"
	rm "$work/$name.tar"
done

echo "== starting registries" >&2
og_port=$(free_port)
"$onggi" registry serve --listen "127.0.0.1:$og_port" --storage "$work/og-reg" >"$work/og.log" 2>&1 &
pids+=($!)
dr_port=$(free_port)
cat >"$work/dr.yml" <<EOF2
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/dr-reg
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$dr_port
EOF2
docker-registry serve "$work/dr.yml" >"$work/dr.log" 2>&1 &
pids+=($!)
for port in "$og_port" "$dr_port"; do
	for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
done

results=()
bench() {
	local name=$1 mine=$2 peer=$3 prep_mine=$4 prep_peer=$5 size=$6 json="$work/$1.json"
	hyperfine -N --warmup 1 --runs "$runs" --export-json "$json" \
		--prepare "$prep_mine" --command-name onggi "$mine" \
		--prepare "$prep_peer" --command-name peer "$peer" >&2
	local a b
	a=$(jq '.results[0].mean' "$json")
	b=$(jq '.results[1].mean' "$json")
	results+=("$(awk -v n="$name" -v a="$a" -v b="$b" -v s="$size" \
		'BEGIN { printf "%-46s %8.3f s %8.3f s %6.2fx %8.0f MB/s\n", n, a, b, b/a, s/a/1e6 }')")
}

# A fresh registry for each push run: empty its storage (neither server
# caches blob existence in memory with these configurations).
reset_og="sh -c 'rm -rf $work/og-reg/blobs $work/og-reg/repositories $work/og-reg/uploads'"
reset_dr="rm -rf $work/dr-reg"
for img in debian:bookworm bigbench:1; do
	name=${img%%:*}
	ref=docker.io/library/$img
	size=$(du -sb "$work/$name-layout/blobs" | cut -f1)
	bench "push $name (onggi vs skopeo→distribution)" \
		"$onggi --root $root --runroot $work/run push -q $img 127.0.0.1:$og_port/bench/$img" \
		"skopeo copy -q --preserve-digests --dest-tls-verify=false oci:$work/$name-layout:$ref docker://127.0.0.1:$dr_port/bench/$img" \
		"$reset_og" "$reset_dr" "$size"
	# Leave the image in both registries for the pulls.
	og push -q "$img" "127.0.0.1:$og_port/bench/$img" >/dev/null
	skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$work/$name-layout:$ref" "docker://127.0.0.1:$dr_port/bench/$img"
	bench "pull $name (onggi vs skopeo←distribution)" \
		"$onggi --root $work/pull-root --runroot $work/run2 pull -q 127.0.0.1:$og_port/bench/$img" \
		"skopeo copy -q --preserve-digests --dest-oci-accept-uncompressed-layers --src-tls-verify=false docker://127.0.0.1:$dr_port/bench/$img oci:$work/pulled:$img" \
		"rm -rf $work/pull-root" "rm -rf $work/pulled" "$size"
done

# 20 concurrent pullers, the same curl client against both servers: each
# fetches the manifest and every blob of debian:bookworm to /dev/null.
cat >"$work/pullers.sh" <<'EOF2'
#!/bin/sh
# pullers.sh PORT REPO TAG: 20 clients pull the image at once.
set -e
base=http://127.0.0.1:$1/v2/$2
accept='application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
blobs=$(curl -fsS -H "Accept: $accept" "$base/manifests/$3" | jq -r '.config.digest, .layers[].digest')
for i in $(seq 20); do
	(curl -fsS -o /dev/null -H "Accept: $accept" "$base/manifests/$3"
	 for b in $blobs; do curl -fsS -o /dev/null "$base/blobs/$b"; done) &
done
wait
EOF2
chmod +x "$work/pullers.sh"
size=$(( $(du -sb "$work/debian-layout/blobs" | cut -f1) * 20 ))
bench "server, 20 concurrent pullers (debian)" \
	"$work/pullers.sh $og_port bench/debian bookworm" \
	"$work/pullers.sh $dr_port bench/debian bookworm" \
	"true" "true" "$size"

echo
echo "$runs runs each, ratio = peer / onggi; rate = image bytes / onggi time"
printf '%-46s %10s %10s %7s %13s\n' operation onggi peer ratio "onggi rate"
printf '%s\n' "${results[@]}"
