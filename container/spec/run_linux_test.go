package spec

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime"
)

// TestMain lets the test binary act as onggi's container init, so the
// generated specs are run by the real runtime.
func TestMain(m *testing.M) {
	runtime.RegisterHelpers(reexec.Register)
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}

// runGenerated generates a spec for a busybox rootfs (with an "app" user),
// runs it with onggi's runtime and returns its output and exit code.
func runGenerated(t *testing.T, mutate func(*Input)) (string, int) {
	t.Helper()
	testbundle.RequireRoot(t)
	bundle := t.TempDir()
	if err := os.Chmod(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(bundle, "rootfs")
	testbundle.Rootfs(t, rootfs)
	appendFile(t, filepath.Join(rootfs, "etc/passwd"), "app:x:1000:1000:app:/home/app:/bin/sh\n")
	appendFile(t, filepath.Join(rootfs, "etc/group"), "app:x:1000:\naudio:x:29:app\n")
	etc := map[string]string{}
	for name, content := range map[string]string{"hosts": "127.0.0.1 localhost testhost\n", "hostname": "testhost\n", "resolv.conf": "nameserver 127.0.0.1\n"} {
		p := filepath.Join(bundle, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		etc["/etc/"+name] = p
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	in := Input{
		ID: "spectest-" + hex.EncodeToString(b), Config: &ctypes.Config{Hostname: "testhost"},
		HostConfig: &ctypes.HostConfig{NetworkMode: "none"}, Rootfs: rootfs, EtcFiles: etc,
		CgroupParent: "/onggi-spec-test",
	}
	mutate(&in)
	s, err := Generate(in)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := runtime.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	c, err := r.Create(in.ID, runtime.CreateOpts{Bundle: bundle, Stdio: runtime.Stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Delete(true); err != nil {
			t.Errorf("deleting container: %v", err)
		}
		// The runtime removes the container's cgroup; the test's parent is
		// ours to remove (rmdir fails harmlessly while another uses it).
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + in.CgroupParent)
		for _, d := range append(dirs, "/sys/fs/cgroup"+in.CgroupParent) {
			_ = os.Remove(d)
		}
	})
	if err := c.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	code, err := c.Wait()
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return out.String() + errb.String(), code
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestRunDefaults(t *testing.T) {
	script := `id; ulimit -n; grep CapEff /proc/self/status; hostname; cat /etc/hosts; wc -c < /proc/keys
touch /proc/sys/kernel/x 2>/dev/null && echo procsys-writable; grep -c . /proc/self/mountinfo >/dev/null
df -k /dev/shm | tail -1; echo done`
	out, code := runGenerated(t, func(in *Input) {
		in.Config.User = "app"
		in.Config.Cmd = []string{"sh", "-c", script}
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	n := min(hostNofileHard(), defaultNofile)
	for _, want := range []string{
		"uid=1000(app) gid=1000(app) groups=", "29(audio)",
		"\n" + itoa(n) + "\n",
		"CapEff:\t0000000000000000",                             // non-root: no effective capabilities
		"\ntesthost\n", "127.0.0.1 localhost testhost", "\n0\n", // /proc/keys masked
		"65536", "done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "procsys-writable") {
		t.Errorf("/proc/sys writable:\n%s", out)
	}
}

func TestRunRootCapsAndReadonly(t *testing.T) {
	out, code := runGenerated(t, func(in *Input) {
		in.HostConfig.ReadonlyRootfs = true
		in.HostConfig.Tmpfs = map[string]string{"/scratch": "size=1m"}
		in.HostConfig.CapDrop = []string{"net_raw"}
		in.Config.Cmd = []string{"sh", "-c", `grep CapEff /proc/self/status; touch /x 2>/dev/null || echo rootfs-ro
touch /scratch/y && echo tmpfs-rw; mount -t tmpfs none /tmp 2>/dev/null || echo mount-denied`}
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	// docker's default set (0xa80425fb) without CAP_NET_RAW (bit 13).
	for _, want := range []string{"CapEff:\t00000000a80405fb", "rootfs-ro", "tmpfs-rw", "mount-denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunPrivileged(t *testing.T) {
	out, code := runGenerated(t, func(in *Input) {
		in.HostConfig.Privileged = true
		in.Config.Cmd = []string{"sh", "-c", `test -c /dev/null && echo null-ok; mount -t tmpfs none /tmp && echo mount-ok`}
	})
	if code != 0 || !strings.Contains(out, "null-ok") || !strings.Contains(out, "mount-ok") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestRunResources(t *testing.T) {
	out, code := runGenerated(t, func(in *Input) {
		r := &in.HostConfig.Resources
		r.Memory, r.NanoCPUs, r.CPUShares, r.PidsLimit = 64<<20, 5e8, 512, new(int64(50))
		in.HostConfig.Sysctls = map[string]string{"kernel.shmmni": "1234"}
		in.HostConfig.Ulimits = []*ctypes.Ulimit{{Name: "nproc", Soft: 500, Hard: 600}}
		in.Config.Cmd = []string{"sh", "-c", `cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start; ulimit -u
cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null; true`}
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"1234\n0\n500\n", "50\n", "67108864\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
