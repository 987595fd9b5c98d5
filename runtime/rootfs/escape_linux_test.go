package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestEscapeSymlinkTarget: mount destinations that are symlinks planted by
// the image, absolute (/tmp/...) and relative (../../..), pointing at host
// paths. Each mount must land inside the rootfs; the host is untouched
// (CVE-2021-30465 family).
func TestEscapeSymlinkTarget(t *testing.T) {
	cases := []struct {
		name, link string
		target     func(hostDir, hostFile, up string) string // the symlink's target
		hostPath   func(hostDir, hostFile string) string     // where a naive mount lands
		mount      func(src string) specs.Mount
	}{
		{"absolute dir", "/abs", func(d, f, up string) string { return d }, func(d, f string) string { return d }, tmpfsSpec("/abs")},
		{"relative dir", "/rel", func(d, f, up string) string { return up + d[1:] }, func(d, f string) string { return d }, bindSpec("/rel", "")},
		{"absolute file", "/absfile", func(d, f, up string) string { return f }, func(d, f string) string { return f }, bindSpec("/absfile", "/file")},
		{"relative file in subdir", "/etc/rel2", func(d, f, up string) string { return "../" + up + f[1:] }, func(d, f string) string { return f }, bindSpec("/etc/rel2", "/file")},
		{"dangling", "/dangling", func(d, f, up string) string { return d + "/new" }, func(d, f string) string { return d + "/new" }, tmpfsSpec("/dangling")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rootfs := newRootfs(t)
			base := filepath.Dir(rootfs)
			hostDir, hostFile, src := escapeFixtures(t, base)
			up := strings.Repeat("../", strings.Count(rootfs, "/")+2)
			if err := os.Symlink(c.target(hostDir, hostFile, up), rootfs+c.link); err != nil {
				t.Fatal(err)
			}
			hostPath := c.hostPath(hostDir, hostFile)
			inMountNS(t, base, 0, func(t *testing.T) {
				if err := Prepare(minimalSpec(c.mount(src)), rootfs); err != nil {
					t.Fatal(err)
				}
				if isMountPoint(t, hostPath) {
					t.Errorf("the mount was redirected to the host path %s", hostPath)
				}
				if !isMountPoint(t, rootfs+hostPath) {
					t.Errorf("the mount did not land inside the rootfs at %s", rootfs+hostPath)
				}
			})
			if data, _ := os.ReadFile(hostFile); string(data) != "host" {
				t.Errorf("host file changed: %q", data)
			}
			if entries, _ := os.ReadDir(hostDir); len(entries) != 0 {
				t.Errorf("host dir changed: %d entries", len(entries))
			}
		})
	}
}

func tmpfsSpec(dest string) func(string) specs.Mount {
	return func(string) specs.Mount { return specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs"} }
}

func bindSpec(dest, file string) func(string) specs.Mount {
	return func(src string) specs.Mount {
		return specs.Mount{Destination: dest, Source: src + file, Options: []string{"rbind"}}
	}
}

// escapeFixtures makes a host directory and file next to the rootfs, and a
// bind source holding "file".
func escapeFixtures(t *testing.T, base string) (hostDir, hostFile, src string) {
	t.Helper()
	hostDir, hostFile, src = filepath.Join(base, "hostdir"), filepath.Join(base, "hostfile"), filepath.Join(base, "src")
	for _, d := range []string{hostDir, src} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(hostFile, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src+"/file", []byte("container"), 0o644); err != nil {
		t.Fatal(err)
	}
	return hostDir, hostFile, src
}

// TestEscapeConsoleSymlink: a /dev/console symlink planted in the rootfs
// must not redirect the console bind (CVE-2025-52565 family).
func TestEscapeConsoleSymlink(t *testing.T) {
	for name, link := range map[string]string{"absolute": "/victim", "relative": "../../../victim"} {
		t.Run(name, func(t *testing.T) {
			rootfs := newRootfs(t)
			if err := os.WriteFile(rootfs+"/victim", []byte("victim"), 0o644); err != nil {
				t.Fatal(err)
			}
			spec := testbundle.Spec()
			inMountNS(t, filepath.Dir(rootfs), unix.CLONE_NEWCGROUP, func(t *testing.T) {
				if err := Prepare(spec, rootfs); err != nil {
					t.Fatal(err)
				}
				// The image's (or a racing container's) symlink.
				if err := os.Symlink(link, rootfs+"/dev/console"); err != nil {
					t.Fatal(err)
				}
				if err := PivotRoot(rootfs, false); err != nil {
					t.Fatal(err)
				}
				slave, closePty := openPty(t)
				defer closePty()
				if err := BindConsole(slave); err != nil {
					t.Fatal(err)
				}
				if isMountPoint(t, "/victim") {
					t.Error("the console bind followed the /dev/console symlink onto /victim")
				}
				var st, want unix.Stat_t
				if err := unix.Lstat("/dev/console", &st); err != nil || unix.Stat(slave, &want) != nil || st.Rdev != want.Rdev {
					t.Errorf("/dev/console is not the pty %s (%v)", slave, err)
				}
			})
		})
	}
}

// openPty opens a pty pair in the container's devpts and returns the slave path.
func openPty(t *testing.T) (string, func()) {
	t.Helper()
	master, err := unix.Open("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		unix.Close(master)
		t.Fatal(err)
	}
	return "/dev/pts/" + itoa(n), func() { unix.Close(master) }
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestEscapeMaskedNull: a /dev/null replaced in the rootfs by a regular
// file, a symlink or another device must never be used to mask a path
// (CVE-2025-31133).
func TestEscapeMaskedNull(t *testing.T) {
	swaps := map[string]func(string) error{
		"regular file": func(p string) error { return os.WriteFile(p, []byte("attacker"), 0o666) },
		"symlink":      func(p string) error { return os.Symlink("/etc/passwd", p) },
		"zero device":  func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 5))) },
	}
	for name, swap := range swaps {
		t.Run(name, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := testbundle.Spec()
			spec.Linux.MaskedPaths = []string{"/proc/keys", "/etc/shadowish"}
			if err := os.WriteFile(rootfs+"/etc/shadowish", []byte("secret"), 0o600); err != nil {
				t.Fatal(err)
			}
			inMountNS(t, filepath.Dir(rootfs), unix.CLONE_NEWCGROUP, func(t *testing.T) {
				if err := Prepare(spec, rootfs); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(rootfs + "/dev/null"); err != nil {
					t.Fatal(err)
				}
				if err := swap(rootfs + "/dev/null"); err != nil {
					t.Fatal(err)
				}
				if err := PivotRoot(rootfs, false); err != nil {
					t.Fatal(err)
				}
				err := Finalize(spec)
				if !errors.Is(err, ErrUnsafe) {
					t.Errorf("Finalize with a fake /dev/null: %v, want ErrUnsafe", err)
				}
				for _, p := range []string{"/proc/keys", "/etc/shadowish"} {
					if isMountPoint(t, p) {
						t.Errorf("%s was masked with the container's fake /dev/null", p)
					}
				}
			})
		})
	}
}

// TestConsoleNotPty: a console source that is not a pty slave is refused.
func TestConsoleNotPty(t *testing.T) {
	rootfs := newRootfs(t)
	inMountNS(t, filepath.Dir(rootfs), unix.CLONE_NEWCGROUP, func(t *testing.T) {
		if err := Prepare(testbundle.Spec(), rootfs); err != nil {
			t.Fatal(err)
		}
		if err := PivotRoot(rootfs, false); err != nil {
			t.Fatal(err)
		}
		if err := BindConsole("/dev/zero"); !errors.Is(err, ErrUnsafe) {
			t.Errorf("BindConsole(/dev/zero): %v, want ErrUnsafe", err)
		}
		if isMountPoint(t, "/dev/console") {
			t.Error("/dev/zero was bound onto /dev/console")
		}
	})
}
