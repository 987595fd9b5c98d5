package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onggi/onggi/runtime/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Files in a container's state directory <root>/<id>/.
const (
	stateFile = "state.json"
	startSock = "start.sock" // the init accepts one connection on it: Start
)

// savedState is what state.json records about a container. The init is
// identified by pid and start time together, so a reused pid is never
// mistaken for ours.
type savedState struct {
	ID          string                `json:"id"`
	Bundle      string                `json:"bundle"`
	ConfigPath  string                `json:"config"`
	Rootfs      string                `json:"rootfs"`
	InitPid     int                   `json:"initPid"`
	InitStart   uint64                `json:"initStart"`
	Created     time.Time             `json:"created"`
	Annotations map[string]string     `json:"annotations,omitempty"`
	CgroupPaths map[string]string     `json:"cgroupPaths,omitempty"`
	Systemd     bool                  `json:"systemdCgroup,omitempty"`
	NoPivot     bool                  `json:"noPivot,omitempty"`
	Paused      bool                  `json:"paused,omitempty"`
	Resources   *specs.LinuxResources `json:"resources,omitempty"`
	Namespaces  map[string]string     `json:"namespaces,omitempty"` // joined by path: type → path
	// HostMounts: what a container without a mount namespace mounted in
	// the runtime's (hostns.go); Delete unmounts it.
	HostMounts []rootfs.HostMount `json:"hostMounts,omitempty"`
	// Poststart and Poststop are the config's hooks as of create: start and
	// delete run them from here, so neither re-reads config.json (which may
	// have changed since, and costs a full spec decode on the start path).
	Poststart []specs.Hook `json:"poststart,omitempty"`
	Poststop  []specs.Hook `json:"poststop,omitempty"`
}

func validID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || len(id) > 1024 {
		return fmt.Errorf("%w: container id %q", ErrInvalid, id)
	}
	return nil
}

func (r *Runtime) dir(id string) string { return filepath.Join(r.root, id) }

// writeState replaces state.json atomically (temp file, rename). No fsync:
// the state root is runtime state (tmpfs /run in production), gone at
// reboot anyway, and rename alone survives a killed process.
func writeState(dir string, st *savedState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".state-*")
	if err != nil {
		return fmt.Errorf("writing state of %s: %w", st.ID, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing state of %s: %w", st.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("writing state of %s: %w", st.ID, err)
	}
	return nil
}

func readState(dir, id string) (*savedState, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, fmt.Errorf("reading state of %s: %w", id, err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("reading state of %s: %w", id, err)
	}
	return &st, nil
}

// procStat returns the start time (field 22 of /proc/<pid>/stat, in clock
// ticks since boot) and the state letter of pid.
func procStat(pid int) (start uint64, state byte, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parsing /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("parsing /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0][0], err
}

// alive reports whether the saved init still runs (zombies count as dead).
func (st *savedState) alive() bool {
	if st.InitPid <= 0 {
		return false
	}
	start, state, err := procStat(st.InitPid)
	return err == nil && start == st.InitStart && state != 'Z' && state != 'X'
}

// status derives the runtime-spec status from the live process.
func (st *savedState) status(dir string) specs.ContainerState {
	if !st.alive() {
		return specs.StateStopped
	}
	if _, err := os.Lstat(filepath.Join(dir, startSock)); err == nil {
		return specs.StateCreated
	}
	if st.Paused {
		return "paused"
	}
	return specs.StateRunning
}

// lockDir takes an exclusive flock on the container's directory for the
// length of a state-changing operation; it returns the unlock function.
func lockDir(dir, id string) (func(), error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "flock", Path: dir, Err: err}
	}
	return func() { unix.Close(fd) }, nil
}
