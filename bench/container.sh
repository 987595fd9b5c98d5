#!/bin/bash
# bench/container.sh [-n N] [-m M] [-p P] [-o ONGGI] [-e ENGINES] [-k]
#
# What a user feels of an engine, against its peers, in one run (ratios
# only mean something within one run):
#   1. start:   `ENGINE run --rm busybox true`, N times each, interleaved
#               rounds under hyperfine -N; plus `crun run` of a prepared
#               bundle (the floor: no image, no overlay, no state).
#   2. memory:  M detached `sleep` containers per engine; the PSS and RSS of
#               what the engine keeps alive for them (onggi: its monitor
#               process(es); podman: the conmons; docker: the
#               containerd-shims), divided by M. Container processes are not
#               counted for anyone.
#   3. burst:   P containers `run --rm busybox true`, 10 at a time (xargs
#               -P10): total wall time, median of 3.
#
#   -n N        start runs per engine (default 60, in 3 rounds)
#   -m M        idle containers per engine (default 50)
#   -p P        containers in the burst (default 100)
#   -o PATH     onggi binary (default: build ./cmd/onggi into the work folder)
#   -e LIST     engines among onggi,podman,docker,crun (default all)
#   -k          keep the work folder
#
# Needs root, hyperfine, jq, podman (run with runc: Debian's crun 1.8
# refuses the hybrid cgroup layout), docker.io (a private dockerd on its own
# socket, data and exec roots, no bridge, no iptables), crun. Every engine
# runs with --network none and the same busybox image (bootstrapped by
# onggi, saved, and loaded into the others). Podman gets --ulimit flags:
# its defaults raise RLIMIT_NOFILE/NPROC above what this host's root may
# (no CAP_SYS_RESOURCE, hard NOFILE 20000) and it fails without them.
set -eu

n=60 m=50 p=100 onggi="" list="onggi,podman,docker,crun" keep=0
usage() {
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while getopts 'n:m:p:o:e:kh' opt; do
	case $opt in
	n) n=$OPTARG ;;
	m) m=$OPTARG ;;
	p) p=$OPTARG ;;
	o) onggi=$OPTARG ;;
	e) list=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/container.sh: needs root" >&2; exit 2; }
for tool in hyperfine jq; do
	command -v "$tool" >/dev/null || { echo "bench/container.sh: missing $tool" >&2; exit 2; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/onggi-cbench.XXXXXX)
chmod 755 "$work"
IFS=, read -r -a engines <<<"$list"
declare -A cmd ok
dockerd_pid=""

O() { "$onggi" --root "$work/onggi/root" --runroot "$work/onggi/run" "$@"; }
P() {
	podman --root "$work/podman/store" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" \
		--cgroup-manager cgroupfs --events-backend file --storage-driver overlay --runtime runc "$@"
}
D() { docker --host "unix://$work/docker/docker.sock" "$@"; }
PODMAN_RUN_FLAGS="--network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096"

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	if [ -x "${onggi:-/nonexistent}" ] && [ -d "$work/onggi" ]; then
		ids=$(O ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$ids" ] && O rm -f $ids >/dev/null 2>&1
		pkill -KILL -f "onggi-monitor.*$work" 2>/dev/null
	fi
	if [ -d "$work/podman" ]; then
		P rm -af -t 0 >/dev/null 2>&1
		P system prune -af >/dev/null 2>&1
	fi
	if [ -n "$dockerd_pid" ]; then
		ids=$(D ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$ids" ] && D rm -f $ids >/dev/null 2>&1
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

setup_onggi() {
	if [ -z "$onggi" ]; then
		echo "building onggi from $repo" >&2
		(cd "$repo" && go build -o "$work/onggi-bin" ./cmd/onggi)
		onggi=$work/onggi-bin
	fi
	onggi=$(command -v "$onggi")
	O image bootstrap busybox >/dev/null
	O save -o "$work/busybox.tar" busybox
	cmd[onggi]="$onggi --root $work/onggi/root --runroot $work/onggi/run run --rm --network none busybox true"
}

setup_podman() {
	mkdir -p "$work/podman/tmp"
	P load -q -i "$work/busybox.tar" >/dev/null 2>&1
	cmd[podman]="podman --root $work/podman/store --runroot $work/podman/run --tmpdir $work/podman/tmp --cgroup-manager cgroupfs --events-backend file --storage-driver overlay --runtime runc run --rm $PODMAN_RUN_FLAGS busybox true"
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
	cmd[docker]="docker --host unix://$work/docker/docker.sock run --rm --network none busybox true"
}

# crun runs a prepared bundle: the floor of what any engine can do.
setup_crun() {
	local b=$work/crun/bundle
	mkdir -p "$b/rootfs"
	O image unpack busybox "$b/rootfs" >/dev/null
	(cd "$b" && crun spec)
	jq '.process.args = ["/bin/true"] | .process.terminal = false' "$b/config.json" >"$b/c.tmp" && mv "$b/c.tmp" "$b/config.json"
	cmd[crun]="crun --root $work/crun/state run --bundle $b bench-$$"
}

# in_ns ENGINE CMD... runs CMD where the engine can run (crun alone needs
# the hybrid layout's cgroup2 mount hidden in a private mount namespace).
in_ns() {
	local e=$1
	shift
	if [ "$e" = crun ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh "$@"
	else
		"$@"
	fi
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# 1. start latency --------------------------------------------------------
bench_start() {
	local rounds=3 per=$(((n + 2) / 3)) e r
	for e in "${engines[@]}"; do
		# shellcheck disable=SC2086
		if in_ns "$e" ${cmd[$e]} >"$work/$e.check" 2>&1; then ok[$e]=1; else
			echo "$e: cannot run: $(tail -n 3 "$work/$e.check" | tr '\n' ' ')" >&2
		fi
	done
	for ((r = 1; r <= rounds; r++)); do
		for e in "${engines[@]}"; do
			[ -n "${ok[$e]:-}" ] || continue
			in_ns "$e" hyperfine -N --style none --runs "$per" --warmup 2 --export-json "$work/$e.$r.json" "${cmd[$e]}" >/dev/null 2>&1 ||
				{ echo "$e: hyperfine failed" >&2; unset "ok[$e]"; continue; }
			jq -r '.results[0].times[]' "$work/$e.$r.json" >>"$work/$e.times"
		done
	done
	echo
	echo "1. run --rm busybox true: median ms ($((per * rounds)) runs each, interleaved)"
	for e in "${engines[@]}"; do
		[ -n "${ok[$e]:-}" ] || { printf '   %-8s FAILED\n' "$e"; continue; }
		ms=$(awk '{print $1*1000}' "$work/$e.times" | median)
		printf '   %-8s %8.2f\n' "$e" "$ms"
		echo "$ms" >"$work/$e.median"
	done
	if [ -n "${ok[onggi]:-}" ]; then
		for e in podman docker crun; do
			[ -n "${ok[$e]:-}" ] || continue
			echo "   onggi/$e: $(awk -v a="$(cat "$work/onggi.median")" -v b="$(cat "$work/$e.median")" 'BEGIN {printf "%.3f", a/b}')"
		done
	fi
}

# pss_of PID... prints "PSS_KB RSS_KB" summed over the pids.
pss_of() {
	local pid pss=0 rss=0 a b
	for pid in "$@"; do
		a=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
		b=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
		pss=$((pss + ${a:-0})) rss=$((rss + ${b:-0}))
	done
	echo "$pss $rss"
}

pids_matching() { pgrep -f "$1" | tr '\n' ' '; }

# 2. idle memory ------------------------------------------------------------
bench_memory() {
	local e i pids kb
	echo
	echo "2. idle memory kept alive per container ($m detached sleep containers)"
	for e in onggi podman docker; do
		has "$e" || continue
		[ -n "${ok[$e]:-}" ] || continue
		for ((i = 0; i < m; i++)); do
			case $e in
			onggi) O run -d --network none busybox sleep 3600 >/dev/null ;;
			# shellcheck disable=SC2086
			podman) P run -d $PODMAN_RUN_FLAGS busybox sleep 3600 >/dev/null ;;
			docker) D run -d --network none busybox sleep 3600 >/dev/null ;;
			esac
		done
		sleep 2
		case $e in
		onggi) pids=$(pids_matching "onggi-monitor.*$work/onggi/run") ;;
		podman) pids=$(pids_matching "conmon.*$work/podman") ;;
		docker) pids=$(pids_matching "containerd-shim.*$work/docker") ;;
		esac
		# shellcheck disable=SC2086
		read -r pss rss <<<"$(pss_of $pids)"
		printf '   %-8s %3d processes  PSS %7.3f MB/container  RSS %7.3f MB/container\n' "$e" "$(wc -w <<<"$pids")" \
			"$(awk -v k="$pss" -v m="$m" 'BEGIN {print k/1024/m}')" "$(awk -v k="$rss" -v m="$m" 'BEGIN {print k/1024/m}')"
		case $e in
		onggi) O rm -f $(O ps -q) >/dev/null ;;
		podman) P rm -f -t 0 -a >/dev/null ;;
		docker) D rm -f $(D ps -q) >/dev/null ;;
		esac
	done
}

# 3. burst ------------------------------------------------------------------
bench_burst() {
	local e r t0 t1
	echo
	echo "3. $p containers run --rm, 10 at a time: median wall seconds of 3"
	for e in onggi podman docker; do
		has "$e" || continue
		[ -n "${ok[$e]:-}" ] || continue
		: >"$work/$e.burst"
		for r in 1 2 3; do
			t0=$(date +%s.%N)
			# shellcheck disable=SC2086
			seq "$p" | xargs -P10 -I{} ${cmd[$e]} >/dev/null
			t1=$(date +%s.%N)
			awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}' >>"$work/$e.burst"
		done
		median <"$work/$e.burst" >"$work/$e.burstmed"
		printf '   %-8s %8.2f s\n' "$e" "$(cat "$work/$e.burstmed")"
	done
	if [ -s "$work/onggi.burstmed" ] && [ -s "$work/podman.burstmed" ]; then
		echo "   onggi/podman: $(awk -v a="$(cat "$work/onggi.burstmed")" -v b="$(cat "$work/podman.burstmed")" 'BEGIN {printf "%.3f", a/b}')"
	fi
}

mkdir -p "$work/onggi"
setup_onggi
has podman && { setup_podman || echo "podman setup failed" >&2; }
has docker && { setup_docker || echo "docker setup failed" >&2; }
has crun && { setup_crun || echo "crun setup failed" >&2; }
engines=()
for e in onggi podman docker crun; do has "$e" && [ -n "${cmd[$e]:-}" ] && engines+=("$e"); done

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(podman --version 2>/dev/null), $(dockerd --version 2>/dev/null | cut -d, -f1), $(crun --version 2>/dev/null | head -n1)"
bench_start
bench_memory
bench_burst
