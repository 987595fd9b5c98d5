package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestBadInput gives Create one broken config at a time: each must fail
// with an error naming the field, and leave no state directory, mount,
// cgroup or process behind.
func TestBadInput(t *testing.T) {
	testbundle.RequireRoot(t)
	huge := uint64(1) << 40
	cases := []struct {
		name    string
		mutate  func(*specs.Spec)
		raw     string // config.json content instead of the spec
		field   string
		invalid bool // wraps ErrInvalid
	}{
		{name: "malformed json", raw: `{"ociVersion": "1.0.2", "process": {`, field: "config.json", invalid: true},
		{name: "missing rootfs", mutate: func(s *specs.Spec) { s.Root.Path = "no-such-dir" }, field: "root.path", invalid: true},
		{name: "no root", mutate: func(s *specs.Spec) { s.Root = nil }, field: "root.path", invalid: true},
		{name: "unknown namespace", mutate: func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
		}, field: "linux.namespaces[6].type", invalid: true},
		{name: "namespace path missing", mutate: func(s *specs.Spec) {
			s.Linux.Namespaces[1].Path = "/run/netns/no-such-onggi-ns"
		}, field: "linux.namespaces[1].path", invalid: true},
		{name: "mapping without userns", mutate: func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, field: "linux.uidMappings", invalid: true},
		{name: "overflowing mapping", mutate: func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.UIDMappings[0].HostID = 4294967000
		}, field: "linux.uidMappings[0]", invalid: true},
		{name: "mapping refused by the kernel", mutate: func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.GIDMappings = append(s.Linux.GIDMappings, specs.LinuxIDMapping{ContainerID: 70000, HostID: 100000, Size: 1})
		}, field: "linux.gidMappings", invalid: true},
		{name: "relative cwd", mutate: func(s *specs.Spec) { s.Process.Cwd = "tmp" }, field: "process.cwd", invalid: true},
		{name: "relative mount destination", mutate: func(s *specs.Spec) { s.Mounts[0].Destination = "proc" }, field: "mounts[0].destination", invalid: true},
		{name: "empty args", mutate: func(s *specs.Spec) { s.Process.Args = nil }, field: "process.args", invalid: true},
		{name: "unknown rlimit", mutate: func(s *specs.Spec) { s.Process.Rlimits[0].Type = "RLIMIT_BOGUS" }, field: "process.rlimits[0].type", invalid: true},
		{name: "unknown capability", mutate: func(s *specs.Spec) {
			s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_BOGUS")
		}, field: "process.capabilities.bounding[3]", invalid: true},
		{name: "relative hook path", mutate: func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "true"}}}
		}, field: "hooks.createRuntime[0].path", invalid: true},
		{name: "bad seccomp action", mutate: func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}
		}, field: "linux.seccomp", invalid: true},
		{name: "seccomp notify", mutate: func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/tmp/l.sock",
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
		}, field: "linux.seccomp", invalid: true},
		{name: "user namespace without mount namespace", mutate: func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
				return ns.Type == specs.MountNamespace
			})
		}, field: "linux.namespaces", invalid: true},
		// Refused by the host once the init runs: cleanup must still be complete.
		{name: "rlimit above the host's", mutate: func(s *specs.Spec) {
			s.Process.Rlimits[0] = specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Hard: huge, Soft: huge}
		}, field: "RLIMIT_NOFILE"},
		{name: "failing createRuntime hook", mutate: func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/false"}}}
		}, field: "createRuntime hook #0"},
		{name: "mount refused", mutate: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Type: "bogusfs", Source: "x"})
		}, field: "/mnt"},
	}
	r := newRuntime(t)
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			bundle := testbundle.Bundle(t, tc.mutate, "true")
			if tc.raw != "" {
				if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte(tc.raw), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			id := uniqueID(t)
			_, err := r.Create(id, CreateOpts{Bundle: bundle})
			if err == nil {
				t.Fatal("create succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %q", err, tc.field)
			}
			if tc.invalid != errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%q, ErrInvalid) = %v, want %v", err, !tc.invalid, tc.invalid)
			}
			assertNoLeftovers(t, r, id, bundle)
		})
	}
}
