package driver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestMain lets the test binary act as onggi's container init.
func TestMain(m *testing.M) {
	runtime.RegisterHelpers(reexec.Register)
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}

// drivers runs fn against onggi's runtime and, when installed, runc: one
// scenario for every implementation.
func drivers(t *testing.T, fn func(t *testing.T, d Driver)) {
	testbundle.RequireRoot(t)
	t.Run("onggi", func(t *testing.T) {
		d, err := Onggi(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, d)
	})
	t.Run("runc", func(t *testing.T) {
		if _, err := exec.LookPath("runc"); err != nil {
			t.Skip("runc is not installed")
		}
		d, err := External("runc", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, d)
	})
}

func uniqueID(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "onggi-drv-" + strings.NewReplacer("/", "-").Replace(t.Name()) + "-" + hex.EncodeToString(b)
}

// started is a created container whose stdout the test reads.
type started struct {
	id   string
	proc Process
	out  *os.File
}

// create creates a container running args, force-deleted at the end.
func create(t *testing.T, d Driver, args ...string) started {
	t.Helper()
	id := uniqueID(t)
	bundle := testbundle.Bundle(t, nil, args...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	p, err := d.Create(id, bundle, IO{Stdout: w, Stderr: w})
	w.Close()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Delete(id, true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("cleanup: delete %s: %v", id, err)
		}
	})
	return started{id: id, proc: p, out: r}
}

func TestLifecycle(t *testing.T) {
	drivers(t, func(t *testing.T, d Driver) {
		c := create(t, d, "sh", "-c", "echo hello; exit 3")
		st, err := d.State(c.id)
		if err != nil || st.Status != specs.StateCreated || st.Pid != c.proc.Pid() {
			t.Fatalf("state after create: %+v, %v (pid %d)", st, err, c.proc.Pid())
		}
		if err := d.Start(c.id); err != nil {
			t.Fatalf("start: %v", err)
		}
		code, err := c.proc.Wait()
		if err != nil || code != 3 {
			t.Fatalf("wait: %d, %v; want 3", code, err)
		}
		out, _ := io.ReadAll(c.out)
		if string(out) != "hello\n" {
			t.Errorf("output %q", out)
		}
		if st, err := d.State(c.id); err != nil || st.Status != specs.StateStopped {
			t.Errorf("state after exit: %+v, %v", st, err)
		}
		if err := d.Delete(c.id, false); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := d.State(c.id); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("state after delete: %v, want ErrNotFound", err)
		}
	})
}

func TestKillExecStats(t *testing.T) {
	drivers(t, func(t *testing.T, d Driver) {
		c := create(t, d, "sleep", "1000")
		if err := d.Start(c.id); err != nil {
			t.Fatalf("start: %v", err)
		}
		r, w, _ := os.Pipe()
		defer r.Close()
		p := &specs.Process{Args: []string{"sh", "-c", "echo from-exec; exit 5"}, Cwd: "/",
			Env: []string{"PATH=/bin:/usr/bin"}}
		ep, err := d.Exec(c.id, p, IO{Stdout: w}, false)
		w.Close()
		if err != nil {
			t.Fatalf("exec: %v", err)
		}
		if code, err := ep.Wait(); err != nil || code != 5 {
			t.Errorf("exec wait: %d, %v; want 5", code, err)
		}
		if out, _ := io.ReadAll(r); string(out) != "from-exec\n" {
			t.Errorf("exec output %q", out)
		}
		pids, err := d.Processes(c.id)
		if err != nil || len(pids) == 0 {
			t.Errorf("processes: %v, %v", pids, err)
		}
		s, err := d.Stats(c.id)
		if err != nil || s.Pids.Current == 0 {
			t.Errorf("stats: %+v, %v", s, err)
		}
		if err := d.Kill(c.id, syscall.SIGKILL, false); err != nil {
			t.Fatalf("kill: %v", err)
		}
		if code, err := c.proc.Wait(); err != nil || code != 137 {
			t.Fatalf("wait: %d, %v; want 137", code, err)
		}
		if err := d.Kill(c.id, syscall.SIGTERM, false); !errors.Is(err, errdefs.ErrNotRunning) {
			t.Errorf("kill of a stopped container: %v, want ErrNotRunning", err)
		}
	})
}

func TestErrors(t *testing.T) {
	drivers(t, func(t *testing.T, d Driver) {
		if _, err := d.State("no-such-container"); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("state: %v, want ErrNotFound", err)
		}
		if err := d.Delete("no-such-container", false); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("delete: %v, want ErrNotFound", err)
		}
		id := uniqueID(t)
		_, err := d.Create(id, testbundle.Bundle(t, nil, "no-such-binary"), IO{})
		if !errors.Is(err, runtime.ErrNoExecutable) {
			t.Errorf("create: %v, want runtime.ErrNoExecutable", err)
		}
		_ = d.Delete(id, true)
	})
}

func TestOnggiErrorClasses(t *testing.T) {
	testbundle.RequireRoot(t)
	d, err := Onggi(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.State("nope")
	if !errors.Is(err, errdefs.ErrNotFound) || !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("state: %v: want both ErrNotFound and runtime.ErrNotExist", err)
	}
	_, err = d.Create(uniqueID(t), testbundle.Bundle(t, nil, "no-such-binary"), IO{})
	if !errors.Is(err, runtime.ErrNoExecutable) {
		t.Errorf("create: %v, want runtime.ErrNoExecutable", err)
	}
	c := create(t, d, "true")
	if err := d.Pause(c.id); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("pause of a created container: %v, want ErrConflict", err)
	}
}

func TestExternalRefusesInit(t *testing.T) {
	testbundle.RequireRoot(t)
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc is not installed")
	}
	d, err := External("runc", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Annotations = map[string]string{runtime.InitAnnotation: "true"}
	}, "true")
	if _, err := d.Create(uniqueID(t), bundle, IO{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("err %v, want ErrInvalid", err)
	}
}

// TestOnggiInit runs the --init reaper through the driver.
func TestOnggiInit(t *testing.T) {
	testbundle.RequireRoot(t)
	d, err := Onggi(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := uniqueID(t)
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Annotations = map[string]string{runtime.InitAnnotation: "true"}
	}, "sh", "-c", "test $$ != 1 && exit 9")
	p, err := d.Create(id, bundle, IO{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Delete(id, true)
	if err := d.Start(id); err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(); err != nil || code != 9 {
		t.Fatalf("wait: %d, %v; want 9", code, err)
	}
}

func TestStateErrors(t *testing.T) {
	drivers(t, func(t *testing.T, d Driver) {
		c := create(t, d, "sleep", "1000")
		if err := d.Start(c.id); err != nil {
			t.Fatal(err)
		}
		if err := d.Start(c.id); !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("second start: %v, want ErrConflict", err)
		}
		if err := d.Delete(c.id, false); !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("delete of a running container: %v, want ErrConflict", err)
		}
		if err := d.Resume(c.id); !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("resume of a running container: %v, want ErrConflict", err)
		}
		if err := d.Pause(c.id); err != nil {
			t.Fatalf("pause: %v", err)
		}
		if st, err := d.State(c.id); err != nil || st.Status != "paused" {
			t.Errorf("state: %+v, %v", st, err)
		}
		if err := d.Resume(c.id); err != nil {
			t.Fatalf("resume: %v", err)
		}
		limit := int64(64)
		if err := d.Update(c.id, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}); err != nil {
			t.Errorf("update: %v", err)
		}
		if s, err := d.Stats(c.id); err != nil || s.Pids.Limit != 64 {
			t.Errorf("stats after update: %+v, %v", s.Pids, err)
		}
	})
}
