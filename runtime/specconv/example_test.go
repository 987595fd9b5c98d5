package specconv

import (
	"os"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestExampleIsRuncs(t *testing.T) {
	s := Example()
	if !s.Process.Terminal || s.Root.Path != "rootfs" || !s.Root.Readonly || s.Process.Args[0] != "sh" {
		t.Errorf("process/root differ from runc spec: %+v %+v", s.Process, s.Root)
	}
	if len(s.Mounts) != 7 || len(s.Linux.MaskedPaths) != 10 || len(s.Linux.ReadonlyPaths) != 5 {
		t.Errorf("mounts/masked/readonly = %d/%d/%d", len(s.Mounts), len(s.Linux.MaskedPaths), len(s.Linux.ReadonlyPaths))
	}
	// Callers edit the result: its slices must not alias shared state.
	s.Process.Capabilities.Bounding[0] = "X"
	if Example().Process.Capabilities.Bounding[0] != "CAP_AUDIT_WRITE" {
		t.Error("Example shares its capability slices")
	}
}

func TestToRootless(t *testing.T) {
	s := Example()
	ToRootless(s)
	var types []specs.LinuxNamespaceType
	for _, ns := range s.Linux.Namespaces {
		types = append(types, ns.Type)
	}
	if slices.Contains(types, specs.NetworkNamespace) || !slices.Contains(types, specs.UserNamespace) {
		t.Errorf("namespaces = %v", types)
	}
	if m := s.Linux.UIDMappings; len(m) != 1 || m[0].HostID != uint32(os.Geteuid()) || m[0].Size != 1 {
		t.Errorf("uid mappings = %+v", m)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys" && (m.Type != "none" || !slices.Contains(m.Options, "rbind")) {
			t.Errorf("/sys mount = %+v", m)
		}
		if m.Destination == "/dev/pts" && slices.Contains(m.Options, "gid=5") {
			t.Errorf("devpts keeps gid=5: %v", m.Options)
		}
	}
	if s.Linux.Resources != nil {
		t.Error("resources kept")
	}
}
