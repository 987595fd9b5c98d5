package driver

import (
	"fmt"
	"os"
	"syscall"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/runtime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// onggiDriver runs containers with onggi's runtime in this process: no
// runtime binary is started, and the init is our child directly.
type onggiDriver struct {
	rt *runtime.Runtime
}

var _ Driver = (*onggiDriver)(nil)

func newOnggi(root string) (Driver, error) {
	rt, err := runtime.New(root)
	if err != nil {
		return nil, classify(err)
	}
	return &onggiDriver{rt: rt}, nil
}

// preserveFDs checks that the extra files sit at fds 3, 4, …: onggi's
// runtime passes the caller's own fds 3..3+n-1 (runc's --preserve-fds), it
// cannot place other fds there without dup2 over whatever this process
// holds at those numbers.
func preserveFDs(files []*os.File) (int, error) {
	for i, f := range files {
		if f == nil || f.Fd() != uintptr(3+i) {
			return 0, fmt.Errorf("%w: extra file %d must be fd %d for onggi's runtime", errdefs.ErrInvalid, i, 3+i)
		}
	}
	return len(files), nil
}

func (d *onggiDriver) Create(id, bundle string, o IO) (Process, error) {
	n, err := preserveFDs(o.ExtraFiles)
	if err != nil {
		return nil, err
	}
	s, err := openStdio(o)
	if err != nil {
		return nil, err
	}
	// The init has its own copies once Create returns.
	defer s.close()
	c, err := d.rt.Create(id, runtime.CreateOpts{Bundle: bundle, ConsoleSocket: o.ConsoleSocket, PreserveFDs: n,
		Stdio: runtime.Stdio{Stdin: s.in, Stdout: s.out, Stderr: s.err}})
	if err != nil {
		return nil, classify(err)
	}
	st, err := c.State()
	if err != nil {
		_ = c.Delete(true)
		return nil, classify(err)
	}
	return &initProcess{c: c, pid: st.Pid}, nil
}

func (d *onggiDriver) load(id string) (*runtime.Container, error) {
	c, err := d.rt.Load(id)
	return c, classify(err)
}

func (d *onggiDriver) Start(id string) error {
	c, err := d.load(id)
	if err != nil {
		return err
	}
	return classify(c.Start())
}

func (d *onggiDriver) State(id string) (*specs.State, error) {
	c, err := d.load(id)
	if err != nil {
		return nil, err
	}
	st, err := c.State()
	return st, classify(err)
}

func (d *onggiDriver) Kill(id string, sig syscall.Signal, all bool) error {
	c, err := d.load(id)
	if err != nil {
		return err
	}
	return classify(c.Signal(sig, all))
}

func (d *onggiDriver) Delete(id string, force bool) error {
	c, err := d.load(id)
	if err != nil {
		return err
	}
	return classify(c.Delete(force))
}

func (d *onggiDriver) Exec(id string, p *specs.Process, o IO, detach bool) (Process, error) {
	c, err := d.load(id)
	if err != nil {
		return nil, err
	}
	n, err := preserveFDs(o.ExtraFiles)
	if err != nil {
		return nil, err
	}
	s, err := openStdio(o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	proc, err := c.Exec(p, runtime.ExecOpts{ConsoleSocket: o.ConsoleSocket, Detach: detach, PreserveFDs: n,
		Stdio: runtime.Stdio{Stdin: s.in, Stdout: s.out, Stderr: s.err}})
	if err != nil {
		return nil, classify(err)
	}
	// onggi's exec helper is our child even when detached: Wait can reap it.
	return &pidProcess{pid: proc.Pid, proc: proc}, nil
}

func (d *onggiDriver) Pause(id string) error {
	c, err := d.load(id)
	if err != nil {
		return err
	}
	return classify(c.Pause())
}

func (d *onggiDriver) Resume(id string) error {
	c, err := d.load(id)
	if err != nil {
		return err
	}
	return classify(c.Resume())
}

func (d *onggiDriver) Update(id string, r *specs.LinuxResources) error {
	c, err := d.load(id)
	if err != nil {
		return err
	}
	return classify(c.Update(r))
}

func (d *onggiDriver) Processes(id string) ([]int, error) {
	c, err := d.load(id)
	if err != nil {
		return nil, err
	}
	pids, err := c.Processes()
	return pids, classify(err)
}

func (d *onggiDriver) Stats(id string) (*cgroups.Stats, error) {
	c, err := d.load(id)
	if err != nil {
		return nil, err
	}
	s, err := c.Stats()
	return s, classify(err)
}
