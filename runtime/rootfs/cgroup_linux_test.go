package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestCgroupMounts checks the cgroup mount on this host's layout, with and
// without a cgroup namespace: read-only by default (the release_agent
// escape stays closed), writable only when asked.
func TestCgroupMounts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cgns  bool
		rw    bool
		extra int
	}{
		{"cgroupns", true, false, unix.CLONE_NEWCGROUP},
		{"host-cgroupns", false, false, 0},
		{"cgroupns-rw", true, true, unix.CLONE_NEWCGROUP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootfs := newRootfs(t)
			opts := []string{"nosuid", "noexec", "nodev", "relatime"}
			if tc.rw {
				opts = append(opts, "rw")
			}
			spec := minimalSpec(specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: opts})
			if tc.cgns {
				spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.CgroupNamespace}}
			}
			inMountNS(t, filepath.Dir(rootfs), tc.extra, func(t *testing.T) {
				if err := Prepare(spec, rootfs); err != nil {
					t.Fatal(err)
				}
				checkCgroupMounts(t, rootfs+"/sys/fs/cgroup", tc.rw)
			})
		})
	}
}

func checkCgroupMounts(t *testing.T, dir string, rw bool) {
	mode := "ro"
	if rw {
		mode = "rw"
	}
	if isCgroup2(hostCgroupRoot) {
		m := threadMount(t, dir)
		if m.FSType != "cgroup2" {
			t.Errorf("%s: %s, want cgroup2", dir, m.FSType)
		}
		hasOpts(t, dir, m.Options, mode, "nosuid", "nodev", "noexec")
		return
	}
	top := threadMount(t, dir)
	if top.FSType != "tmpfs" {
		t.Errorf("%s: %s, want tmpfs", dir, top.FSType)
	}
	hasOpts(t, dir, top.Options, mode, "nosuid", "nodev", "noexec")
	lines, err := readSelfCgroup()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lines {
		if l.controllers == "" {
			continue
		}
		n++
		sub := dir + "/" + strings.TrimPrefix(l.controllers, "name=")
		m := threadMount(t, sub)
		if m.FSType != "cgroup" {
			t.Errorf("%s: %s, want cgroup", sub, m.FSType)
		}
		hasOpts(t, sub, m.Options, mode, "nosuid", "nodev", "noexec")
		// Our own cgroup is what the container sees.
		if _, err := os.Stat(sub + "/cgroup.procs"); err != nil {
			t.Errorf("%s: %v", sub, err)
		}
	}
	if n == 0 {
		t.Fatal("no v1 hierarchies in /proc/thread-self/cgroup on a v1 host")
	}
	if !rw {
		// Checked with access(2): a broken defence must not let the test
		// write the host's release_agent.
		assertErrno(t, "cpu release_agent", unix.Access(dir+"/cpu/release_agent", unix.W_OK), unix.EROFS)
	}
	if isCgroup2(hostCgroupRoot + "/unified") {
		m := threadMount(t, dir+"/unified")
		if m.FSType != "cgroup2" {
			t.Errorf("%s/unified: %s, want cgroup2", dir, m.FSType)
		}
		hasOpts(t, dir+"/unified", m.Options, mode)
	}
}

// TestCgroupPureV2 simulates a pure cgroup v2 host by mounting cgroup2 over
// /sys/fs/cgroup in the test's private mount namespace.
func TestCgroupPureV2(t *testing.T) {
	for _, cgns := range []bool{true, false} {
		t.Run(map[bool]string{true: "cgroupns", false: "host-cgroupns"}[cgns], func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := minimalSpec(specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev"}})
			extra := 0
			if cgns {
				spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.CgroupNamespace}}
				extra = unix.CLONE_NEWCGROUP
			}
			inMountNS(t, filepath.Dir(rootfs), extra, func(t *testing.T) {
				if err := unix.Mount("cgroup2", hostCgroupRoot, "cgroup2", 0, ""); err != nil {
					t.Fatal(err)
				}
				if err := Prepare(spec, rootfs); err != nil {
					t.Fatal(err)
				}
				checkCgroupMounts(t, rootfs+"/sys/fs/cgroup", false)
				if _, err := os.Stat(rootfs + "/sys/fs/cgroup/cgroup.procs"); err != nil {
					t.Error(err)
				}
			})
		})
	}
}
