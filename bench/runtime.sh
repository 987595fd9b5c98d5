#!/bin/bash
# bench/runtime.sh [-n N] [-w WARMUP] [-o ONGGI_RUNC] [-r RUNTIMES] [-k]
#
# Container start cost of OCI runtimes: N times, each runtime creates,
# starts, waits for and deletes a container running /bin/true from a busybox
# bundle. Every runtime is timed with its own one-shot
# `RUNTIME --root DIR run --bundle B ID` (create + start + wait + delete in
# one command, the same call for all), under hyperfine -N (no shell between
# hyperfine and the runtime). Prints the median (and mean, min) ms per
# container for each runtime and the ratios onggi/crun and onggi/runc.
#
#   -n N         containers per runtime (default 100)
#   -w WARMUP    untimed warm-up runs per runtime (default 5)
#   -o PATH      onggi-runc binary to use (default: build ./cmd/onggi into the
#                work folder and link it as onggi-runc)
#   -r LIST      comma-separated runtimes among onggi-runc,runc,crun
#                (default: all three)
#   -k           keep the work folder (bundle, hyperfine JSON, logs)
#
# Needs root, Debian's busybox-static, runc, crun, hyperfine and jq.
# crun 1.8 refuses the hybrid cgroup layout (cgroup2 mounted at
# /sys/fs/cgroup/unified next to v1 controllers), so on such a host crun
# alone runs inside `unshare -m` with that mount removed from its private
# mount namespace; the host's mounts are untouched.
set -eu

n=100 warmup=5 onggi="" list="onggi-runc,runc,crun" keep=0
usage() {
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while getopts 'n:w:o:r:kh' opt; do
	case $opt in
	n) n=$OPTARG ;;
	w) warmup=$OPTARG ;;
	o) onggi=$OPTARG ;;
	r) list=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: needs root" >&2; exit 2; }
for tool in hyperfine jq /bin/busybox; do
	command -v "$tool" >/dev/null || { echo "bench/runtime.sh: missing $tool (apt-get install hyperfine jq busybox-static)" >&2; exit 2; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/onggi-bench.XXXXXX)
id=bench-$$
declare -A bin root
cleanup() {
	local rt
	for rt in "${!bin[@]}"; do
		"${bin[$rt]}" --root "${root[$rt]}" delete --force "$id" >/dev/null 2>&1 || true
	done
	if [ "$keep" = 1 ]; then echo "work folder kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make_bundle writes $work/bundle: a busybox rootfs and `runc spec`'s
# default config running /bin/true without a terminal.
make_bundle() {
	local b=$work/bundle
	mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/sys" "$b/rootfs/dev" "$b/rootfs/tmp"
	cp /bin/busybox "$b/rootfs/bin/busybox"
	ln -s busybox "$b/rootfs/bin/true"
	ln -s busybox "$b/rootfs/bin/sh"
	(cd "$b" && runc spec)
	jq '.process.args = ["/bin/true"] | .process.terminal = false' "$b/config.json" >"$b/config.tmp"
	mv "$b/config.tmp" "$b/config.json"
}

# find_onggi sets bin[onggi-runc], building the binary when -o is not given.
find_onggi() {
	if [ -z "$onggi" ]; then
		echo "building onggi from $repo" >&2
		(cd "$repo" && go build -o "$work/onggi" ./cmd/onggi)
		ln -s onggi "$work/onggi-runc"
		onggi=$work/onggi-runc
	fi
	bin[onggi-runc]=$(command -v "$onggi")
}

# hybrid reports whether cgroup2 sits at /sys/fs/cgroup/unified beside v1.
hybrid() { [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; }

# in_ns RUNTIME CMD... runs CMD where RUNTIME can run containers.
in_ns() {
	local rt=$1
	shift
	if [ "$rt" = crun ] && hybrid; then
		unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh "$@"
	else
		"$@"
	fi
}

# bench_one RUNTIME times it with hyperfine; 1 if it cannot run a container.
bench_one() {
	local rt=$1 cmd
	root[$rt]=$work/state-$rt
	cmd="${bin[$rt]} --root ${root[$rt]} run --bundle $work/bundle $id"
	if ! in_ns "$rt" $cmd >"$work/$rt.check.log" 2>&1; then
		echo "$rt: cannot run the bundle: $(tail -n 3 "$work/$rt.check.log" | tr '\n' ' ')" >&2
		return 1
	fi
	echo "timing $rt: $n containers (+$warmup warm-up): $cmd" >&2
	in_ns "$rt" hyperfine -N --style basic --runs "$n" --warmup "$warmup" \
		--export-json "$work/$rt.json" --command-name "$rt" "$cmd" >"$work/$rt.hyperfine.log" 2>&1 || {
		echo "$rt: hyperfine failed: $(tail -n 3 "$work/$rt.hyperfine.log" | tr '\n' ' ')" >&2
		return 1
	}
}

ms() { jq -r ".results[0].$2 * 1000 | . * 100 | round / 100" "$work/$1.json"; }

make_bundle
IFS=, read -r -a runtimes <<<"$list"
failed=0
declare -A median
for rt in "${runtimes[@]}"; do
	case $rt in
	onggi-runc) find_onggi ;;
	runc | crun) bin[$rt]=$(command -v "$rt") || { echo "$rt not installed" >&2; failed=1; continue; } ;;
	*) echo "unknown runtime $rt (onggi-runc, runc, crun)" >&2; exit 2 ;;
	esac
	if bench_one "$rt"; then median[$rt]=$(ms "$rt" median); else failed=1; fi
done

echo
# Other work on the machine shows up as a long tail: say how busy it was.
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(runc --version | head -n1), $(crun --version | head -n1)"
printf '%-12s %10s %10s %10s %14s\n' runtime "median ms" "mean ms" "min ms" "$n containers"
for rt in "${runtimes[@]}"; do
	if [ -n "${median[$rt]:-}" ]; then
		printf '%-12s %10s %10s %10s %13ss\n' "$rt" "${median[$rt]}" "$(ms "$rt" mean)" "$(ms "$rt" min)" \
			"$(jq -r ".results[0].times | add | . * 100 | round / 100" "$work/$rt.json")"
	else
		printf '%-12s %10s\n' "$rt" FAILED
	fi
done
for ref in crun runc; do
	if [ -n "${median[onggi-runc]:-}" ] && [ -n "${median[$ref]:-}" ]; then
		echo "onggi/$ref: $(jq -rn "${median[onggi-runc]} / ${median[$ref]} | . * 100 | round / 100")"
	fi
done
exit $failed
