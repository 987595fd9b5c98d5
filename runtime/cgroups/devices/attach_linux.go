package devices

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Load loads a device filter into the kernel (running the verifier).
func Load(insns asm.Instructions) (*ebpf.Program, error) {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.CGroupDevice,
		License:      "Apache-2.0",
		Instructions: insns,
	})
	if err != nil {
		return nil, fmt.Errorf("loading device filter: %w", err)
	}
	return prog, nil
}

// Apply compiles rules, loads the program and attaches it to the cgroup2
// directory dir, then detaches the programs that were there before, so the
// cgroup is never without a filter during an update.
//
// The program is attached with BPF_PROG_ATTACH (not a bpf_link), so it stays
// in force after this process exits, for as long as the cgroup lives.
// BPF_F_ALLOW_MULTI lets it coexist with the filters of ancestors (systemd
// attaches its own), all of which must allow a request.
func Apply(dir string, rules []specs.LinuxDeviceCgroup) error {
	insns, err := Program(rules)
	if err != nil {
		return err
	}
	prog, err := Load(insns)
	if err != nil {
		return err
	}
	defer prog.Close()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("attaching device filter: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(fd)
	old, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("querying device filters of %s: %w", dir, err)
	}
	attach := link.RawAttachProgramOptions{Target: fd, Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI}
	if err := link.RawAttachProgram(attach); err != nil {
		if !errors.Is(err, unix.EPERM) || len(old.Programs) == 0 {
			return fmt.Errorf("attaching device filter to %s: %w", dir, err)
		}
		// A single non-multi program is there (attached by an older runtime):
		// attaching without flags replaces it.
		attach.Flags = 0
		if err := link.RawAttachProgram(attach); err != nil {
			return fmt.Errorf("attaching device filter to %s: %w", dir, err)
		}
		return nil
	}
	return detachAll(fd, dir, old.Programs)
}

func detachAll(fd int, dir string, progs []link.AttachedProgram) error {
	for _, ap := range progs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if errors.Is(err, os.ErrNotExist) {
			continue // already gone
		}
		if err != nil {
			return fmt.Errorf("opening old device filter %d of %s: %w", ap.ID, dir, err)
		}
		err = link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
		p.Close()
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("detaching old device filter %d of %s: %w", ap.ID, dir, err)
		}
	}
	return nil
}
