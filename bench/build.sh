#!/bin/bash
# bench/build.sh [-n N] [-o ONGGI] [-e ENGINES] [-k]
#
# `onggi build` against buildah (`buildah bud`) and Docker's builder (a
# private dockerd 20.10, Debian's docker.io), in one run (ratios only mean
# something within one run), on the same Dockerfile and context:
#   1. cold:      --no-cache builds
#   2. warm:      a rebuild with nothing changed (onggi's target: < 100 ms)
#   3. one file:  a rebuild after one source file changed (only the steps
#                 after the COPY that sees it run again)
# The Dockerfile has two independent stages (parallel where the builder
# can), COPY --from, WORKDIR, COPY of a source tree and RUN steps. Every
# builder runs RUN with no network, from the same busybox image
# (bootstrapped by onggi, saved, and loaded into the others).
#
#   -n N        runs per measurement (default 5 cold, 3N warm)
#   -o PATH     onggi binary (default: build ./cmd/onggi into the work folder)
#   -e LIST     engines among onggi,buildah,docker (default all)
#   -k          keep the work folder
#
# Needs root, hyperfine, jq; buildah (overlay storage, runc, the ulimits
# bench/container.sh gives podman: this host's root may not raise
# NOFILE/NPROC) and docker.io for the peers. Docker builds with BuildKit
# when it works offline with the local image, else with the classic
# builder (DOCKER_BUILDKIT=0); the line says which.
set -eu

n=5 onggi="" list="onggi,buildah,docker" keep=0
usage() {
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while getopts 'n:o:e:kh' opt; do
	case $opt in
	n) n=$OPTARG ;;
	o) onggi=$OPTARG ;;
	e) list=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/build.sh: needs root" >&2; exit 2; }
for tool in hyperfine jq; do
	command -v "$tool" >/dev/null || { echo "bench/build.sh: missing $tool" >&2; exit 2; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/onggi-bbench.XXXXXX)
chmod 755 "$work"
declare -A cold warm onefile
dockerd_pid=""
docker_builder=""

O() { "$onggi" --root "$work/onggi/root" --runroot "$work/onggi/run" "$@"; }
B() {
	buildah --root "$work/buildah/store" --runroot "$work/buildah/run" --storage-driver overlay \
		--cgroup-manager cgroupfs "$@"
}
D() { docker --host "unix://$work/docker/docker.sock" "$@"; }
BUILDAH_FLAGS="--runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --layers"

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	[ -d "$work/buildah" ] && B rm -a >/dev/null 2>&1 && B rmi -af >/dev/null 2>&1
	if [ -n "$dockerd_pid" ]; then
		kill "$dockerd_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$dockerd_pid" 2>/dev/null
	fi
	grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r mp; do umount -l "$mp" 2>/dev/null; done
	if [ "$keep" = 1 ]; then echo "work folder kept: $work" >&2; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

has() { [[ ",$list," == *",$1,"* ]]; }

# The context: two independent stages, a source tree of 200 files.
make_context() {
	local c=$work/ctx
	mkdir -p "$c/src"
	for i in $(seq 200); do printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"$c/src/f$i.c"; done
	echo 'int main(void) { return 0; }' >"$c/src/main.c"
	cat >"$c/Dockerfile" <<'DOCKERFILE'
FROM busybox AS deps
RUN mkdir /deps && for i in $(seq 300); do echo "dep $i" > /deps/$i; done
FROM busybox AS tools
RUN mkdir /tools && for i in $(seq 300); do echo "tool $i" > /tools/$i; done
FROM busybox
ENV APP=bench
WORKDIR /app
COPY --from=deps /deps /deps
COPY --from=tools /tools /tools
COPY src/ ./src/
RUN cat src/*.c | wc -l > lines && mkdir out && cp src/*.c out/
RUN echo built > done
CMD ["cat", "/app/done"]
DOCKERFILE
}

setup_onggi() {
	if [ -z "$onggi" ]; then
		echo "building onggi from $repo" >&2
		(cd "$repo" && go build -o "$work/onggi-bin" ./cmd/onggi)
		onggi=$work/onggi-bin
	fi
	onggi=$(command -v "$onggi")
	O image bootstrap busybox >/dev/null
	O save -o "$work/busybox.tar" busybox
	local b="$onggi --root $work/onggi/root --runroot $work/onggi/run build -q --network none -t bench"
	cold[onggi]="$b --no-cache $work/ctx"
	warm[onggi]="$b $work/ctx"
}

setup_buildah() {
	B pull -q "docker-archive:$work/busybox.tar" >/dev/null
	B tag "$(B images -q | head -n1)" docker.io/library/busybox:latest
	local b="buildah --root $work/buildah/store --runroot $work/buildah/run --storage-driver overlay --cgroup-manager cgroupfs bud -q $BUILDAH_FLAGS --pull=false -t bench"
	cold[buildah]="$b --no-cache $work/ctx"
	warm[buildah]="$b $work/ctx"
}

setup_docker() {
	mkdir -p "$work/docker"
	echo '{}' >"$work/docker/daemon.json"
	dockerd --config-file "$work/docker/daemon.json" --data-root "$work/docker/data" \
		--exec-root "$work/docker/exec" --pidfile "$work/docker/dockerd.pid" \
		--host "unix://$work/docker/docker.sock" --iptables=false --ip6tables=false \
		--ip-forward=false --ip-masq=false --bridge=none --exec-opt native.cgroupdriver=cgroupfs \
		--cgroup-parent "/onggi-bench-docker" >"$work/docker/log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 300); do D info >/dev/null 2>&1 && break; sleep 0.2; done
	D info >/dev/null 2>&1 || { echo "dockerd did not start: $(tail -n 5 "$work/docker/log")" >&2; return 1; }
	D load -i "$work/busybox.tar" >/dev/null
	local bk
	for bk in 1 0; do
		if DOCKER_BUILDKIT=$bk D build -q --network none -t bench "$work/ctx" >/dev/null 2>"$work/docker/build.err"; then
			docker_builder=$bk
			break
		fi
	done
	[ -n "$docker_builder" ] || { echo "docker build failed: $(tail -n 3 "$work/docker/build.err")" >&2; return 1; }
	local b="env DOCKER_BUILDKIT=$docker_builder docker --host unix://$work/docker/docker.sock build -q --network none -t bench"
	cold[docker]="$b --no-cache $work/ctx"
	warm[docker]="$b $work/ctx"
}

make_context
setup_onggi
has buildah && { setup_buildah || echo "buildah setup failed" >&2; }
has docker && { setup_docker || echo "docker setup failed" >&2; }

engines=()
for e in onggi buildah docker; do has "$e" && [ -n "${cold[$e]:-}" ] && engines+=("$e"); done
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(buildah --version 2>/dev/null), $(dockerd --version 2>/dev/null | cut -d, -f1) (DOCKER_BUILDKIT=${docker_builder:-?})"

# measure NAME RUNS PREPARE CMD...: hyperfine's mean in ms.
measure() {
	local name=$1 runs=$2 prep=$3
	shift 3
	local args=(-N --runs "$runs" --export-json "$work/$name.json" --warmup 1)
	[ -n "$prep" ] && args+=(--prepare "$prep")
	hyperfine "${args[@]}" "$@" >/dev/null 2>&1 || { echo "?"; return; }
	jq -r '.results[0].mean * 1000 | floor' "$work/$name.json"
}

declare -A r_cold r_warm r_one
for e in "${engines[@]}"; do
	r_cold[$e]=$(measure "$e-cold" "$n" "" "${cold[$e]}")
	sh -c "${warm[$e]}" >/dev/null 2>&1 || true
	r_warm[$e]=$(measure "$e-warm" $((3 * n)) "" "${warm[$e]}")
	# One source file changes before each run: only COPY src/ and the
	# RUN steps after it may run again.
	r_one[$e]=$(measure "$e-one" $((3 * n)) "sh -c 'date +%s%N > $work/ctx/src/main.c'" "${warm[$e]}")
done

ratio() { if [ "$1" != "?" ] && [ "$2" != "?" ] && [ "$2" -gt 0 ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; else echo "-"; fi; }
printf '\n%-10s %12s %12s %12s\n' engine "cold (ms)" "warm (ms)" "1 file (ms)"
for e in "${engines[@]}"; do
	printf '%-10s %12s %12s %12s\n' "$e" "${r_cold[$e]}" "${r_warm[$e]}" "${r_one[$e]}"
done
echo
for e in "${engines[@]}"; do
	[ "$e" = onggi ] && continue
	printf 'onggi vs %-8s cold %s faster, warm %s faster, one file %s faster\n' "$e" \
		"$(ratio "${r_cold[$e]}" "${r_cold[onggi]}")" "$(ratio "${r_warm[$e]}" "${r_warm[onggi]}")" "$(ratio "${r_one[$e]}" "${r_one[onggi]}")"
done
