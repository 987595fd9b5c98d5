#!/bin/bash
# runtime-validation.sh RUNTIME [RUNTIME...]
#
# Runs the OCI runtime-tools v0.9.0 validation suite (every validation/*
# program, plus runtimetest inside the containers) against each runtime
# binary given, prints one line per program and a total per runtime.
#
# With several runtimes the first is the reference (runc): the script exits
# non-zero iff a program that PASSes with the reference does not PASS with
# another runtime. With one runtime it exits non-zero iff any program fails.
#
# The suite is built from tools/runtime-tools, a separate Go module that pins
# runtime-tools' 2019-era dependencies (the suite has no go.mod of its own).
#
# Environment:
#   VALIDATION_WORK     work folder (default: a new temporary folder, removed
#                       at exit unless VALIDATION_KEEP=1); TAP logs land in
#                       $VALIDATION_WORK/logs/<runtime>/<program>.tap
#   VALIDATION_TIMEOUT  seconds allowed per program (default 120)
#   VALIDATION_ONLY     extended regexp: run only the programs it matches
#   VALIDATION_RETRIES  reruns of a failing program (default 2): a few
#                       programs race their own polling (killsig, pidfile)
#                       on a loaded machine; a program passes if any run does
#   VALIDATION_KEEP=1   keep the work folder
#
# Do not run two validations at once on one machine: the cgroup programs use
# fixed cgroup paths (/cgrouptest), and a program killed by the timeout may
# leave its container behind in the runtime's default --root.
#
# The programs make their bundles under $TMPDIR, which the script points at
# its work folder. A container without a mount namespace (linux_ns_itype)
# mounts /proc, /dev, /sys inside its bundle in the host's namespace, and runc
# never unmounts them: after each program the script lazily unmounts whatever
# is left under that folder, and removes it with --one-file-system.
#
# Example: hack/runtime-validation.sh /usr/sbin/runc /usr/local/bin/onggi-runc
set -euo pipefail

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac

repo=$(cd "$(dirname "$0")/.." && pwd)
tools="$repo/tools/runtime-tools"
timeout_s=${VALIDATION_TIMEOUT:-120}
only=${VALIDATION_ONLY:-}
retries=${VALIDATION_RETRIES:-2}
suite=github.com/opencontainers/runtime-tools

runtimes=()
for rt in "$@"; do
	path=$(command -v "$rt" || true)
	if [ -z "$path" ] || [ ! -x "$path" ]; then
		echo "runtime-validation: no executable runtime $rt" >&2
		exit 2
	fi
	# Absolute path: the validation programs run from the work folder.
	runtimes+=("$(cd "$(dirname "$path")" && pwd)/$(basename "$path")")
done

if [ -n "${VALIDATION_WORK:-}" ]; then
	work=$(mkdir -p "$VALIDATION_WORK" && cd "$VALIDATION_WORK" && pwd)
else
	work=$(mktemp -d /tmp/onggi-validation.XXXXXX)
fi
# mktemp makes the folder 0700; containers with a user namespace
# (linux_uid_mappings) run as a mapped uid that must traverse it to the bundle.
chmod 755 "$work"

# unmount_leftovers lazily unmounts every mount under $work/tmp, deepest
# first, so nothing a container left behind outlives the run.
unmount_leftovers() {
	local m
	awk -v dir="$work/tmp/" 'index($5, dir) == 1 {print length($5), $5}' /proc/self/mountinfo |
		sort -rn | cut -d' ' -f2- | while read -r m; do
		umount -l "$m" || echo "runtime-validation: could not unmount $m" >&2
	done
}

cleanup() {
	unmount_leftovers
	# The cgroup programs use fixed paths (/cgrouptest, testdir/cgrouptest
	# relative to our own cgroup); runtimes remove the container's cgroup but,
	# as runc, leave the parents they created. Remove the empty ones.
	local d
	for d in /sys/fs/cgroup/*/testdir/cgrouptest /sys/fs/cgroup/*/testdir /sys/fs/cgroup/*/cgrouptest \
		/sys/fs/cgroup/testdir/cgrouptest /sys/fs/cgroup/testdir /sys/fs/cgroup/cgrouptest; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
	rm -rf --one-file-system "$work/tmp"
	if [ -z "${VALIDATION_WORK:-}" ] && [ "${VALIDATION_KEEP:-}" != 1 ]; then
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build_suite compiles runtimetest and every validation program into
# $work/bin. CGO is off: runtimetest runs inside the suite's busybox rootfs,
# which has no libc.
build_suite() {
	local moddir pkgs
	cd "$tools"
	go mod download "$suite"
	moddir=$(go list -m -f '{{.Dir}}' "$suite")
	mapfile -t pkgs < <(go list "$suite/validation/..." | grep -v '/validation/util$')
	mkdir -p "$work/bin"
	echo "building runtimetest and ${#pkgs[@]} validation programs from $moddir" >&2
	CGO_ENABLED=0 go build -o "$work/bin/" "$suite/cmd/runtimetest" "${pkgs[@]}"
	cp "$work/bin/runtimetest" "$work/runtimetest"
	cp "$moddir/rootfs-$(go env GOARCH).tar.gz" "$work/"
	chmod u+w "$work"/rootfs-*.tar.gz
	cd "$work"
	programs=()
	local p
	for p in "${pkgs[@]}"; do
		p=${p##*/}
		if [ -z "$only" ] || [[ $p =~ $only ]]; then programs+=("$p"); fi
	done
}

# run_program RUNTIME LABEL PROGRAM TRY runs one attempt, sets $verdict to
# PASS, FAIL or SKIP, $line to the result line and $why to the failure.
run_program() {
	local rt=$1 label=$2 prog=$3 try=$4 log rc=0 ok notok skip plan total
	log="$work/logs/$label/$prog.tap"
	[ "$try" = 0 ] || log="$work/logs/$label/$prog.retry$try.tap"
	mkdir -p "$work/tmp"
	TMPDIR=$work/tmp RUNTIME=$rt timeout -k 10 "$timeout_s" "$work/bin/$prog" >"$log" 2>"$log.stderr" </dev/null || rc=$?
	unmount_leftovers
	rm -rf --one-file-system "$work/tmp"
	# TAP: "ok N desc", "not ok N desc", "# SKIP"/"# TODO" directives, "1..N".
	ok=$(grep -cE '^ok [0-9]+' "$log" || true)
	notok=$(grep -E '^not ok [0-9]+' "$log" | grep -vciE '#[[:space:]]*todo' || true)
	skip=$(grep -ciE '^(not )?ok [0-9]+.*#[[:space:]]*skip' "$log" || true)
	# Some programs print several TAP documents (one per tap.New): their
	# plans add up. Some (the *_fail ones) print nothing and speak by exit code.
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$log" | awk '{s += $1} END {if (NR) print s}')
	total=$((ok + notok))
	why=""
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timeout after ${timeout_s}s, $notok/$total failed"
	elif [ "$notok" -gt 0 ]; then
		why="$notok/$total failed"
	elif [ "$rc" != 0 ]; then
		why="exit $rc after $total results: $(grep -v '^exit status' "$log.stderr" | tail -n1 | cut -c1-220)"
	elif [ -n "$plan" ] && [ "$plan" != "$total" ]; then
		why="plan $plan but $total results"
	fi
	if [ -n "$why" ]; then
		verdict=FAIL
		line="FAIL validation/$prog (runtime: $label) ($why)"
	elif [ "$total" -gt 0 ] && [ "$skip" = "$total" ]; then
		verdict=SKIP
		line="SKIP validation/$prog (runtime: $label) ($(grep -m1 -iE '#[[:space:]]*skip' "$log" | sed -E 's/.*#[[:space:]]*[sS][kK][iI][pP][[:space:]]*//'))"
	else
		verdict=PASS
		line="PASS validation/$prog (runtime: $label)"
	fi
}

build_suite

declare -A result
labels=()
for rt in "${runtimes[@]}"; do
	label=$(basename "$rt")
	labels+=("$label")
	mkdir -p "$work/logs/$label"
	pass=0 fail=0 skipped=0
	for prog in "${programs[@]}"; do
		run_program "$rt" "$label" "$prog" 0
		for ((try = 1; try <= retries; try++)); do
			[ "$verdict" = FAIL ] || break
			first=$why
			run_program "$rt" "$label" "$prog" "$try"
			[ "$verdict" = FAIL ] || line="$line (after a failed run: $first)"
		done
		echo "$line"
		result[$label/$prog]=$verdict
		case $verdict in PASS) pass=$((pass + 1)) ;; FAIL) fail=$((fail + 1)) ;; SKIP) skipped=$((skipped + 1)) ;; esac
	done
	echo "TOTAL (runtime: $label): $pass pass, $fail fail, $skipped skip of ${#programs[@]} programs"
done
if [ -n "${VALIDATION_WORK:-}" ] || [ "${VALIDATION_KEEP:-}" = 1 ]; then
	echo "TAP logs: $work/logs"
else
	echo "TAP logs: removed at exit (set VALIDATION_KEEP=1 or VALIDATION_WORK to keep them)"
fi

status=0
if [ ${#labels[@]} -eq 1 ]; then
	for prog in "${programs[@]}"; do
		[ "${result[${labels[0]}/$prog]}" != FAIL ] || status=1
	done
	exit $status
fi

ref=${labels[0]}
echo
printf '%-46s' "comparison"
for label in "${labels[@]}"; do printf ' %-12s' "$label"; done
echo
regressions=0
for prog in "${programs[@]}"; do
	line=$(printf '%-46s' "validation/$prog")
	mark=""
	for label in "${labels[@]}"; do
		line+=$(printf ' %-12s' "${result[$label/$prog]}")
		if [ "$label" != "$ref" ] && [ "${result[$ref/$prog]}" = PASS ] && [ "${result[$label/$prog]}" != PASS ]; then
			mark="  <- regression against $ref"
		fi
	done
	[ -z "$mark" ] || regressions=$((regressions + 1))
	echo "$line$mark"
done
echo "REGRESSIONS against $ref: $regressions"
[ "$regressions" = 0 ]
