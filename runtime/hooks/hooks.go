package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The hook kinds of runtime-spec, in lifecycle order.
const (
	Prestart        = "prestart"
	CreateRuntime   = "createRuntime"
	CreateContainer = "createContainer"
	StartContainer  = "startContainer"
	Poststart       = "poststart"
	Poststop        = "poststop"
)

// Kinds lists every hook kind onggi supports (the features command prints it).
var Kinds = []string{Prestart, CreateRuntime, CreateContainer, StartContainer, Poststart, Poststop}

// ErrTimeout is wrapped by the error of a hook killed after its timeout.
var ErrTimeout = errors.New("hook timed out")

// waitDelay bounds how long Run waits for a killed hook's output pipes to
// close: a grandchild that kept them open must not hang the runtime.
const waitDelay = 2 * time.Second

// maxOutput caps the hook output quoted in an error.
const maxOutput = 4096

// Run runs hs in order with st as JSON on stdin. The first failure stops the
// list; its error names the kind, the hook's index and path, and quotes its
// output.
func Run(kind string, hs []specs.Hook, st *specs.State) error {
	if len(hs) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding state for %s hooks: %w", kind, err)
	}
	for i := range hs {
		if err := runOne(&hs[i], state); err != nil {
			return fmt.Errorf("%s hook #%d (%s): %w", kind, i, hs[i].Path, err)
		}
	}
	return nil
}

func runOne(h *specs.Hook, state []byte) error {
	ctx := context.Background()
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("timeout %d: must be greater than zero", *h.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := command(ctx, h, state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%w after %ds%s", ErrTimeout, *h.Timeout, quote(out.Bytes()))
	}
	if err != nil {
		return fmt.Errorf("%w%s", err, quote(out.Bytes()))
	}
	return nil
}

// command builds the hook's process. Path is used as is (runtime-spec wants
// an absolute path; no PATH lookup), Args[0] is argv[0], and Env is the whole
// environment: an empty Env means an empty environment, not the runtime's.
func command(ctx context.Context, h *specs.Hook, state []byte) *exec.Cmd {
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Path, cmd.Err = h.Path, nil
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = append([]string{}, h.Env...)
	cmd.Stdin = bytes.NewReader(state)
	// Its own process group, so a timeout kills the hook's children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	return cmd
}

func quote(out []byte) string {
	s := strings.TrimSpace(string(out))
	if s == "" {
		return ""
	}
	if len(s) > maxOutput {
		s = s[:maxOutput] + "..."
	}
	return ": " + s
}
