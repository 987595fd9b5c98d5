#!/bin/bash
# bench/network.sh [-n N] [-s BYTES] [-r R] [-o ONGGI] [-e ENGINES] [-k]
#
# What networking costs, against the peers, in one run (ratios only mean
# something within one run):
#   1. start:       `ENGINE run --rm --network bridge busybox true` against
#                   the same with `--network none`, N times each,
#                   interleaved rounds under hyperfine -N. The difference
#                   is the cost of networking (bridge, veth, IPAM, firewall).
#   2. throughput:  a container runs bench/tcpbench's server behind
#                   `-p PORT:5201`; the host pushes BYTES through
#                   127.0.0.1:PORT (onggi: kernel DNAT; podman: netavark's
#                   DNAT; docker: docker-proxy) and straight to the
#                   container's IP, R transfers each, in rounds that
#                   interleave the engines; medians.
#
#   -n N        start runs per engine and network (default 30, in 3 rounds)
#   -s BYTES    bytes per transfer (default 1073741824, 1 GiB)
#   -r R        transfers per path (default 5)
#   -o PATH     onggi binary (default: build ./cmd/onggi into the work folder)
#   -e LIST     engines among onggi,podman,docker (default all)
#   -k          keep the work folder
#
# Needs root, hyperfine, jq, go (to build tcpbench), podman (runc; its
# default netavark bridge), docker.io (a private dockerd on its own socket,
# data and exec roots, with a bridge this script creates, ogbdock0,
# 172.31.231.1/24, and --iptables=false so the host's iptables are left as
# they are: docker adds no per-container rules without -p anyway, and with
# -p the loopback path is docker-proxy either way). Podman gets the --ulimit
# flags bench/container.sh explains. onggi's own kernel objects (bridge
# og<tag>0, nft table onggi-<tag>, named from the temporary --root) are
# removed at exit.
set -eu

n=30 size=1073741824 r=5 onggi="" list="onggi,podman,docker" keep=0
usage() {
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while getopts 'n:s:r:o:e:kh' opt; do
	case $opt in
	n) n=$OPTARG ;;
	s) size=$OPTARG ;;
	r) r=$OPTARG ;;
	o) onggi=$OPTARG ;;
	e) list=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/network.sh: needs root" >&2; exit 2; }
for tool in hyperfine jq go; do
	command -v "$tool" >/dev/null || { echo "bench/network.sh: missing $tool" >&2; exit 2; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/onggi-nbench.XXXXXX)
chmod 755 "$work"
IFS=, read -r -a engines <<<"$list"
declare -A cmd ok port
dockerd_pid="" dock_br=ogbdock0 dock_addr=172.31.231.1/24
port=([onggi]=18301 [podman]=18302 [docker]=18303)

O() { "$onggi" --root "$work/onggi/root" --runroot "$work/onggi/run" "$@"; }
P() {
	podman --root "$work/podman/store" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" \
		--network-config-dir "$work/podman/net" --cgroup-manager cgroupfs --events-backend file \
		--storage-driver overlay --runtime runc "$@"
}
D() { docker --host "unix://$work/docker/docker.sock" "$@"; }
PODMAN_ULIMITS="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096"
# E ENGINE ARGS... runs the engine's CLI.
E() {
	local e=$1
	shift
	case $e in
	onggi) O "$@" ;;
	podman) P "$@" ;;
	docker) D "$@" ;;
	esac
}

onggi_tag() { printf '%s' "$work/onggi/root" | sha256sum | cut -c1-6; }

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	if [ -x "${onggi:-/nonexistent}" ] && [ -d "$work/onggi/root" ]; then
		ids=$(O ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$ids" ] && O rm -f $ids >/dev/null 2>&1
		O network prune -f >/dev/null 2>&1
		# The monitor of this bench's own --root, by pid.
		pids=$(pgrep -f "onggi-monitor --root $work/onggi/root ")
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill $pids 2>/dev/null
		tag=$(onggi_tag)
		ip link del "og${tag}0" 2>/dev/null
		command -v nft >/dev/null && nft delete table inet "onggi-$tag" 2>/dev/null
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
	ip link del "$dock_br" 2>/dev/null
	grep -o " ${work}[^ ]*" /proc/self/mountinfo | sort -r | while read -r mp; do umount -l "$mp" 2>/dev/null; done
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
	cmd[onggi]="$onggi --root $work/onggi/root --runroot $work/onggi/run run --rm"
}

setup_podman() {
	mkdir -p "$work/podman/tmp" "$work/podman/net"
	P load -q -i "$work/busybox.tar" >/dev/null 2>&1
	cmd[podman]="podman --root $work/podman/store --runroot $work/podman/run --tmpdir $work/podman/tmp --network-config-dir $work/podman/net --cgroup-manager cgroupfs --events-backend file --storage-driver overlay --runtime runc run --rm $PODMAN_ULIMITS"
}

setup_docker() {
	mkdir -p "$work/docker"
	echo '{}' >"$work/docker/daemon.json"
	ip link add "$dock_br" type bridge
	ip addr add "$dock_addr" dev "$dock_br"
	ip link set "$dock_br" up
	dockerd --config-file "$work/docker/daemon.json" --data-root "$work/docker/data" \
		--exec-root "$work/docker/exec" --pidfile "$work/docker/dockerd.pid" \
		--host "unix://$work/docker/docker.sock" --iptables=false --ip6tables=false \
		--ip-forward=false --ip-masq=false --bridge="$dock_br" --userland-proxy=true \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/onggi-bench-docker" >"$work/docker/log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 300); do D info >/dev/null 2>&1 && break; sleep 0.2; done
	D info >/dev/null 2>&1 || { echo "dockerd did not start: $(tail -n 5 "$work/docker/log")" >&2; return 1; }
	D load -i "$work/busybox.tar" >/dev/null
	cmd[docker]="docker --host unix://$work/docker/docker.sock run --rm"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "n/a"; else printf "%.3f", a/b}'; }

# 1. start cost of networking ---------------------------------------------
bench_start() {
	local rounds=3 per=$(((n + 2) / 3)) e net rr c
	for e in "${engines[@]}"; do
		for net in bridge none; do
			# shellcheck disable=SC2086
			if ${cmd[$e]} --network $net busybox true >"$work/$e.$net.check" 2>&1; then ok[$e.$net]=1; else
				echo "$e --network $net: cannot run: $(tail -n 3 "$work/$e.$net.check" | tr '\n' ' ')" >&2
			fi
		done
	done
	for ((rr = 1; rr <= rounds; rr++)); do
		for e in "${engines[@]}"; do
			for net in bridge none; do
				[ -n "${ok[$e.$net]:-}" ] || continue
				c="${cmd[$e]} --network $net busybox true"
				hyperfine -N --style none --runs "$per" --warmup 2 --export-json "$work/$e.$net.$rr.json" "$c" >/dev/null 2>&1 ||
					{ echo "$e --network $net: hyperfine failed" >&2; unset "ok[$e.$net]"; continue; }
				jq -r '.results[0].times[]' "$work/$e.$net.$rr.json" >>"$work/$e.$net.times"
			done
		done
	done
	echo
	echo "1. run --rm busybox true: median ms ($((per * rounds)) runs each, interleaved)"
	printf '   %-8s %10s %10s %10s %8s\n' engine bridge none cost bridge/none
	for e in "${engines[@]}"; do
		if [ -z "${ok[$e.bridge]:-}" ] || [ -z "${ok[$e.none]:-}" ]; then printf '   %-8s FAILED\n' "$e"; continue; fi
		b=$(awk '{print $1*1000}' "$work/$e.bridge.times" | median)
		z=$(awk '{print $1*1000}' "$work/$e.none.times" | median)
		awk -v a="$b" -v b="$z" 'BEGIN {print a-b}' >"$work/$e.cost"
		printf '   %-8s %10.2f %10.2f %10.2f %8s\n' "$e" "$b" "$z" "$(cat "$work/$e.cost")" "$(ratio "$b" "$z")"
	done
	[ -s "$work/onggi.cost" ] || return 0
	for e in podman docker; do
		[ -s "$work/$e.cost" ] || continue
		echo "   networking cost onggi/$e: $(ratio "$(cat "$work/onggi.cost")" "$(cat "$work/$e.cost")") (below 1: onggi's is lower)"
	done
}

# container_ip ENGINE NAME prints the container's address on its network.
container_ip() {
	E "$1" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$2" | awk '{print $1}'
}

# transfer ADDR prints one transfer's MiB/s.
transfer() {
	local out
	out=$("$work/bin/tcpbench" send -c "$1" -n "$size" -wait 10s) || return 1
	awk '{print $1}' <<<"$out"
}

# 2. throughput through a published port ----------------------------------
declare -A srv_ip

# start_server ENGINE runs the tcpbench server container and records its IP.
start_server() {
	local e=$1 extra=""
	[ "$e" = podman ] && extra=$PODMAN_ULIMITS
	# shellcheck disable=SC2086
	if ! E "$e" run -d --name tcpb -p "${port[$e]}:5201" $extra -v "$work/bin:/b:ro" busybox /b/tcpbench serve \
		>"$work/$e.tcpb" 2>&1; then
		echo "$e: tcpbench server: $(tail -n 2 "$work/$e.tcpb" | tr '\n' ' ')" >&2
		return 1
	fi
	srv_ip[$e]=$(container_ip "$e" tcpb)
	: >"$work/$e.pub"
	: >"$work/$e.direct"
}

bench_throughput() {
	local e i pub="" running=()
	for e in "${engines[@]}"; do
		[ -n "${ok[$e.bridge]:-}" ] && start_server "$e" && running+=("$e")
	done
	# Rounds interleave the engines so load from elsewhere hits all alike.
	for ((i = 0; i < r; i++)); do
		for e in "${running[@]}"; do
			transfer "127.0.0.1:${port[$e]}" >>"$work/$e.pub" || echo "$e: published transfer failed" >&2
			transfer "${srv_ip[$e]}:5201" >>"$work/$e.direct" || echo "$e: direct transfer failed" >&2
		done
	done
	for e in "${running[@]}"; do E "$e" rm -f tcpb >/dev/null 2>&1; done
	echo
	echo "2. TCP throughput, host → container, $size bytes per transfer: median MiB/s of $r (interleaved)"
	printf '   %-8s %12s %12s %10s\n' engine "127.0.0.1:p" direct-ip published/direct
	for e in "${engines[@]}"; do
		if [ ! -s "$work/$e.pub" ] || [ ! -s "$work/$e.direct" ]; then
			printf '   %-8s FAILED (see the errors above)\n' "$e"
			continue
		fi
		median <"$work/$e.pub" >"$work/$e.pubmed"
		median <"$work/$e.direct" >"$work/$e.directmed"
		printf '   %-8s %12.1f %12.1f %10s\n' "$e" "$(cat "$work/$e.pubmed")" "$(cat "$work/$e.directmed")" \
			"$(ratio "$(cat "$work/$e.pubmed")" "$(cat "$work/$e.directmed")")"
		[ "$e" = onggi ] && pub=$(cat "$work/onggi.pubmed")
	done
	[ -n "$pub" ] || return 0
	for e in podman docker; do
		[ -s "$work/$e.pubmed" ] || continue
		echo "   published onggi/$e: $(ratio "$pub" "$(cat "$work/$e.pubmed")") (above 1: onggi's is faster)"
	done
	echo "   target: onggi published/direct >= 0.9"
}

mkdir -p "$work/onggi" "$work/bin"
echo "building tcpbench" >&2
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/bin/tcpbench" ./bench/tcpbench)
chmod 755 "$work/bin" "$work/bin/tcpbench"
setup_onggi
has podman && { setup_podman || echo "podman setup failed" >&2; }
has docker && { setup_docker || echo "docker setup failed" >&2; }
engines=()
for e in onggi podman docker; do has "$e" && [ -n "${cmd[$e]:-}" ] && engines+=("$e"); done

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(podman --version 2>/dev/null), netavark $(/usr/lib/podman/netavark --version 2>/dev/null | awk '{print $2}'), $(dockerd --version 2>/dev/null | cut -d, -f1)"
bench_start
bench_throughput
