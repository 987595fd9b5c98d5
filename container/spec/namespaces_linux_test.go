package spec

import (
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestNetNSPathJoins: the engine resolves --network container:<id> and
// bridge networks into a netns path; the spec joins it instead of making
// a new namespace, and container: mode is no longer refused.
func TestNetNSPathJoins(t *testing.T) {
	for _, mode := range []string{"bridge", "container:abc", "mynet"} {
		in := testInput(t)
		in.HostConfig.NetworkMode = ctypes.NetworkMode(mode)
		in.NetNSPath = "/run/onggi/netns/x"
		s := mustGenerate(t, in)
		found := false
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				found = true
				if ns.Path != in.NetNSPath {
					t.Errorf("%s: netns path %q, want %q", mode, ns.Path, in.NetNSPath)
				}
			}
		}
		if !found {
			t.Errorf("%s: no network namespace in spec", mode)
		}
	}
}
