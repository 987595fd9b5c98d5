#!/bin/sh
# Installs the Debian packages listed in the given files (default:
# hack/packages.txt) that are missing. `apt-get update` runs once, only when
# something is missing. Packaged services (dockerd, containerd, the registry)
# are not started: Debian's policy-rc.d hook (exit 101) forbids it while we
# install, since a host dockerd would add docker0 and iptables rules.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- "$here/packages.txt"
missing=""
for p in $(cat "$@" | grep -v '^#'); do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "installing:$missing"
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
