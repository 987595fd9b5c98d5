package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/runtime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// externalDriver drives a runc-compatible binary (runc, crun) through its
// command line, as containerd's shim does: create and exec detach and
// write a pid file, and we, child subreaper, inherit and reap the process.
type externalDriver struct {
	bin, root string
}

var _ Driver = (*externalDriver)(nil)

func newExternal(binary, root string) (Driver, error) {
	bin, err := exec.LookPath(binary)
	if err != nil {
		return nil, fmt.Errorf("%w: OCI runtime %q: %w", errdefs.ErrNotFound, binary, err)
	}
	if root == "" {
		return nil, fmt.Errorf("%w: OCI runtime %q: empty state root", errdefs.ErrInvalid, binary)
	}
	if err := os.MkdirAll(root, 0o711); err != nil {
		return nil, fmt.Errorf("OCI runtime %q: state root: %w", binary, err)
	}
	return &externalDriver{bin: bin, root: root}, nil
}

func (e *externalDriver) command(args ...string) *exec.Cmd {
	return exec.Command(e.bin, append([]string{"--root", e.root}, args...)...)
}

// run runs a command whose output we read, with its stderr in the error.
func (e *externalDriver) run(args ...string) ([]byte, error) {
	cmd := e.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, e.failed(args[0], err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// failed builds the error of a failed command from its message. A runtime
// binary reports failures as text only, so this is the one place where
// onggi classifies by message.
func (e *externalDriver) failed(verb string, err error, msg string) error {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = err.Error()
	}
	out := fmt.Errorf("%s %s: %s", filepath.Base(e.bin), verb, msg)
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "executable file not found") ||
		(verb == "create" || verb == "exec") && strings.Contains(lower, "exec") && strings.Contains(lower, "no such file"):
		// The CLI maps it to exit code 127, as for onggi's runtime.
		return &classified{err: out, class: runtime.ErrNoExecutable}
	case (verb == "create" || verb == "exec") && strings.Contains(lower, "permission denied"):
		return &classified{err: out, class: os.ErrPermission} // exit code 126
	case strings.Contains(lower, "does not exist") || strings.Contains(lower, "not found"):
		return &classified{err: out, class: errdefs.ErrNotFound}
	case strings.Contains(lower, "already exists"):
		return &classified{err: out, class: errdefs.ErrExists}
	case strings.Contains(lower, "not running") || strings.Contains(lower, "is stopped"):
		return &classified{err: out, class: errdefs.ErrNotRunning}
	case strings.Contains(lower, "is paused") || strings.Contains(lower, "not paused") ||
		strings.Contains(lower, "not stopped") || strings.Contains(lower, "already running") ||
		strings.Contains(lower, "cannot start"):
		return &classified{err: out, class: errdefs.ErrConflict}
	}
	return out
}

// tempDir holds the pid file and log of one create or exec.
func tempDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "onggi-runtime-")
	if err != nil {
		return "", nil, fmt.Errorf("temporary directory: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// spawn runs create or exec (both detach) with the process's stdio as the
// command's, then returns the process from the pid file. Errors go to a
// JSON log file, since stderr is the container's.
func (e *externalDriver) spawn(verb string, args []string, o IO) (Process, error) {
	if err := setSubreaper(); err != nil {
		return nil, err
	}
	dir, cleanup, err := tempDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	logFile, pidFile := filepath.Join(dir, "log.json"), filepath.Join(dir, "pid")
	full := []string{"--log", logFile, "--log-format", "json", verb, "--pid-file", pidFile}
	if o.ConsoleSocket != "" {
		full = append(full, "--console-socket", o.ConsoleSocket)
	}
	if len(o.ExtraFiles) > 0 {
		full = append(full, "--preserve-fds", strconv.Itoa(len(o.ExtraFiles)))
	}
	cmd := e.command(append(full, args...)...)
	s, err := openStdio(o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = s.in, s.out, s.err, o.ExtraFiles
	if err := cmd.Run(); err != nil {
		return nil, e.failed(verb, err, logErrors(logFile))
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading pid file: %w", filepath.Base(e.bin), verb, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s %s: pid file %q: %w", filepath.Base(e.bin), verb, data, err)
	}
	return newPidProcess(pid)
}

// logErrors returns the error messages of a runtime's JSON log (runc and
// crun write {"level":"error","msg":…} lines), or the raw log.
func logErrors(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var msgs []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		var l struct{ Level, Msg string }
		if json.Unmarshal(line, &l) == nil && (l.Level == "error" || l.Level == "fatal") && l.Msg != "" {
			msgs = append(msgs, l.Msg)
		}
	}
	if len(msgs) == 0 {
		return string(data)
	}
	return strings.Join(msgs, "; ")
}

func (e *externalDriver) Create(id, bundle string, o IO) (Process, error) {
	if err := refuseInit(bundle, e.bin); err != nil {
		return nil, err
	}
	return e.spawn("create", []string{"--bundle", bundle, id}, o)
}

// refuseInit rejects --init: its reaper is onggi's own init process, which
// another runtime does not run.
func refuseInit(bundle, bin string) error {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return fmt.Errorf("%w: bundle %s: %w", errdefs.ErrInvalid, bundle, err)
	}
	var spec struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%w: bundle %s: config.json: %w", errdefs.ErrInvalid, bundle, err)
	}
	if spec.Annotations[runtime.InitAnnotation] == "true" {
		return fmt.Errorf("%w: --init needs onggi's own runtime, not %s", errdefs.ErrInvalid, filepath.Base(bin))
	}
	return nil
}

func (e *externalDriver) Exec(id string, p *specs.Process, o IO, detach bool) (Process, error) {
	dir, cleanup, err := tempDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w: exec process: %w", errdefs.ErrInvalid, err)
	}
	pf := filepath.Join(dir, "process.json")
	if err := os.WriteFile(pf, data, 0o600); err != nil {
		return nil, fmt.Errorf("exec process: %w", err)
	}
	// Always detached: the process is reparented to us (subreaper), so
	// detach only means the caller may not wait.
	return e.spawn("exec", []string{"--process", pf, "--detach", id}, o)
}

func (e *externalDriver) Start(id string) error {
	_, err := e.run("start", id)
	return err
}

func (e *externalDriver) State(id string) (*specs.State, error) {
	out, err := e.run("state", id)
	if err != nil {
		return nil, err
	}
	var st specs.State
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("%s state %s: %w", filepath.Base(e.bin), id, err)
	}
	return &st, nil
}

func (e *externalDriver) Kill(id string, sig syscall.Signal, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	_, err := e.run(append(args, id, strconv.Itoa(int(sig)))...)
	return err
}

func (e *externalDriver) Delete(id string, force bool) error {
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	_, err := e.run(append(args, id)...)
	return err
}

func (e *externalDriver) Pause(id string) error {
	_, err := e.run("pause", id)
	return err
}

func (e *externalDriver) Resume(id string) error {
	_, err := e.run("resume", id)
	return err
}

func (e *externalDriver) Update(id string, r *specs.LinuxResources) error {
	dir, cleanup, err := tempDir()
	if err != nil {
		return err
	}
	defer cleanup()
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%w: resources: %w", errdefs.ErrInvalid, err)
	}
	f := filepath.Join(dir, "resources.json")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		return fmt.Errorf("resources: %w", err)
	}
	_, err = e.run("update", "--resources", f, id)
	return err
}

func (e *externalDriver) Processes(id string) ([]int, error) {
	out, err := e.run("ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, fmt.Errorf("%s ps %s: %w", filepath.Base(e.bin), id, err)
	}
	return pids, nil
}

// Stats reads the cgroup of the container's init directly (runtimes'
// `events --stats` output differs, and crun has none).
func (e *externalDriver) Stats(id string) (*cgroups.Stats, error) {
	st, err := e.State(id)
	if err != nil {
		return nil, err
	}
	if st.Status == specs.StateStopped || st.Pid <= 0 {
		return nil, fmt.Errorf("container %s: %w", id, errdefs.ErrNotRunning)
	}
	cg, err := processCgroup(st.Pid)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %s: %w", id, errdefs.ErrNotRunning)
		}
		return nil, fmt.Errorf("stats of %s: %w", id, err)
	}
	s, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", id, err)
	}
	return s, nil
}
