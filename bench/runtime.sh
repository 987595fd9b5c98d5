#!/bin/bash
# bench/runtime.sh [-n N] [-R ROUNDS] [-w WARMUP] [-o ONGGI_RUNC] [-r RUNTIMES] [-k]
#
# Container start cost of OCI runtimes: N times, each runtime creates,
# starts, waits for and deletes a container running /bin/true from a busybox
# bundle. Every runtime is timed with its own one-shot
# `RUNTIME --root DIR run --bundle B ID` (create + start + wait + delete in
# one command, the same call for all), under hyperfine -N (no shell between
# hyperfine and the runtime), in rounds that interleave the runtimes. Prints
# the median (and mean, min) ms per container for each runtime and the
# ratios onggi/crun and onggi/runc.
#
#   -n N         containers per runtime (default 100)
#   -R ROUNDS    split them into this many interleaved rounds (default 5)
#   -w WARMUP    untimed warm-up runs per runtime and round (default 2)
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

n=100 rounds=5 warmup=2 onggi="" list="onggi-runc,runc,crun" keep=0
usage() {
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while getopts 'n:R:w:o:r:kh' opt; do
	case $opt in
	n) n=$OPTARG ;;
	R) rounds=$OPTARG ;;
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
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local rt
	for rt in "${!bin[@]}"; do
		"${bin[$rt]}" --root "${root[$rt]}" delete --force "$id" >/dev/null 2>&1 || true
	done
	if [ "$keep" = 1 ]; then echo "work folder kept: $work" >&2; else rm -rf --one-file-system "$work"; fi
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

# check_one RUNTIME sets up its state dir and runs the bundle once;
# 1 if the runtime cannot run it.
check_one() {
	local rt=$1
	root[$rt]=$work/state-$rt
	cmd[$rt]="${bin[$rt]} --root ${root[$rt]} run --bundle $work/bundle $id"
	# shellcheck disable=SC2086 # the command is split into words on purpose
	if ! in_ns "$rt" ${cmd[$rt]} >"$work/$rt.check.log" 2>&1; then
		echo "$rt: cannot run the bundle: $(tail -n 3 "$work/$rt.check.log" | tr '\n' ' ')" >&2
		return 1
	fi
	echo "$rt: ${cmd[$rt]}" >&2
}

# time_round RUNTIME ROUND RUNS appends RUNS timings (seconds) to $work/RUNTIME.times.
time_round() {
	local rt=$1 round=$2 runs=$3 json=$work/$1.round$2.json
	in_ns "$rt" hyperfine -N --style basic --runs "$runs" --warmup "$warmup" \
		--export-json "$json" --command-name "$rt" "${cmd[$rt]}" >"$work/$rt.round$round.log" 2>&1 || {
		echo "$rt: hyperfine failed: $(tail -n 3 "$work/$rt.round$round.log" | tr '\n' ' ')" >&2
		return 1
	}
	jq -r '.results[0].times[]' "$json" >>"$work/$rt.times"
}

# summary RUNTIME median|mean|min|total prints milliseconds (total: seconds).
summary() {
	jq -rs --arg what "$2" 'sort as $t | ($t | length) as $n |
		{median: ((if $n % 2 == 1 then $t[($n - 1) / 2] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end) * 1000),
		 mean: (add / $n * 1000), min: ($t[0] * 1000), total: add}[$what] | . * 100 | round / 100' "$work/$1.times"
}

make_bundle
IFS=, read -r -a runtimes <<<"$list"
failed=0
declare -A cmd ok
for rt in "${runtimes[@]}"; do
	case $rt in
	onggi-runc) find_onggi ;;
	runc | crun) bin[$rt]=$(command -v "$rt") || { echo "$rt not installed" >&2; failed=1; continue; } ;;
	*) echo "unknown runtime $rt (onggi-runc, runc, crun)" >&2; exit 2 ;;
	esac
	if check_one "$rt"; then ok[$rt]=1; else failed=1; fi
done

# Rounds interleave the runtimes, so a burst of other work on the machine
# hits all of them alike instead of whichever was being timed.
per=$(((n + rounds - 1) / rounds))
echo "timing $n containers per runtime in $rounds rounds of $per (+$warmup warm-up each)" >&2
for ((r = 1; r <= rounds; r++)); do
	for rt in "${runtimes[@]}"; do
		[ -n "${ok[$rt]:-}" ] || continue
		time_round "$rt" "$r" "$per" || { unset "ok[$rt]"; failed=1; }
	done
done

echo
# Other work on the machine shows up as a long tail: say how busy it was.
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(runc --version | head -n1), $(crun --version | head -n1)"
printf '%-12s %10s %10s %10s %14s\n' runtime "median ms" "mean ms" "min ms" "$((per * rounds)) containers"
for rt in "${runtimes[@]}"; do
	if [ -n "${ok[$rt]:-}" ]; then
		printf '%-12s %10s %10s %10s %13ss\n' "$rt" "$(summary "$rt" median)" "$(summary "$rt" mean)" "$(summary "$rt" min)" "$(summary "$rt" total)"
	else
		printf '%-12s %10s\n' "$rt" FAILED
	fi
done
if [ -n "${ok[onggi-runc]:-}" ]; then
	for ref in crun runc; do
		[ -n "${ok[$ref]:-}" ] || continue
		echo "onggi/$ref: $(jq -rn "$(summary onggi-runc median) / $(summary "$ref" median) | . * 100 | round / 100") (medians; below 1: onggi is faster)"
	done
fi
exit $failed
