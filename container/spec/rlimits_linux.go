package spec

import (
	"math"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultNofile is the open-files limit containers get when the user sets
// none: dockerd passes on its own (systemd's LimitNOFILE=infinity, i.e.
// 1048576); onggi has no daemon whose limit it could inherit.
const defaultNofile = 1048576

// ulimitNames are the names --ulimit accepts (docker/go-units).
var ulimitNames = map[string]bool{
	"as": true, "core": true, "cpu": true, "data": true, "fsize": true, "locks": true,
	"memlock": true, "msgqueue": true, "nice": true, "nofile": true, "nproc": true,
	"rss": true, "rtprio": true, "rttime": true, "sigpending": true, "stack": true,
}

func validateUlimits(uls []*ctypes.Ulimit) error {
	for _, ul := range uls {
		if ul == nil {
			continue
		}
		if !ulimitNames[ul.Name] {
			return invalidf("invalid ulimit type: %s", ul.Name)
		}
		if ul.Soft > ul.Hard && ul.Hard != -1 {
			return invalidf("ulimit soft limit must be less than or equal to hard limit: %d > %d", ul.Soft, ul.Hard)
		}
	}
	return nil
}

// rlimits returns process.rlimits: the user's --ulimit values as given
// (the runtime reports clearly if the host does not permit them), and the
// default open-files limit clamped to hostHard. Raising a hard limit needs
// CAP_SYS_RESOURCE, which root lacks on some hosts (this one's hard
// RLIMIT_NOFILE is 20000), so a default above it would make every
// container fail to start.
func rlimits(uls []*ctypes.Ulimit, hostHard uint64) []specs.POSIXRlimit {
	var out []specs.POSIXRlimit
	hasNofile := false
	for _, ul := range uls {
		if ul == nil {
			continue
		}
		hasNofile = hasNofile || ul.Name == "nofile"
		out = append(out, specs.POSIXRlimit{
			Type: "RLIMIT_" + strings.ToUpper(ul.Name),
			Soft: rlimitValue(ul.Soft), Hard: rlimitValue(ul.Hard),
		})
	}
	if !hasNofile {
		n := min(uint64(defaultNofile), hostHard)
		out = append(out, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: n, Hard: n})
	}
	return out
}

// rlimitValue maps docker's -1 (unlimited) to RLIM_INFINITY.
func rlimitValue(v int64) uint64 {
	if v < 0 {
		return math.MaxUint64
	}
	return uint64(v)
}

// hostNofileHard is the hard RLIMIT_NOFILE of this process, which the
// container's init inherits and cannot raise without CAP_SYS_RESOURCE.
func hostNofileHard() uint64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return rl.Max
}
