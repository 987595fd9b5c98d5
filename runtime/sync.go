package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/onggi/onggi/runtime/seccomp"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Helper names registered with reexec by main (see Helpers).
const (
	initHelper = "onggi-runtime-init"
	execHelper = "onggi-runtime-exec"
	// envSyncFD names the fd of the sync socket in a helper.
	envSyncFD = "_ONGGI_SYNC_FD"
)

// Messages on the sync socket between the runtime (parent) and a helper.
const (
	msgConfig    = "config"     // parent → helper: what to set up
	msgHooks     = "hooks"      // init → parent: run prestart/createRuntime now
	msgHooksDone = "hooks-done" // parent → init
	msgReady     = "ready"      // init → parent: waiting for Start
	msgError     = "error"      // helper → parent
)

// initConfig is what the parent tells a helper once the helper is in its
// namespaces and cgroup.
type initConfig struct {
	Spec         *specs.Spec    `json:"spec"`
	Process      *specs.Process `json:"process"` // the process to run (init: Spec.Process)
	Rootfs       string         `json:"rootfs,omitempty"`
	NoPivot      bool           `json:"noPivot,omitempty"`
	NoNewKeyring bool           `json:"noNewKeyring,omitempty"`
	PreserveFDs  int            `json:"preserveFds,omitempty"`
	ConsoleFD    int            `json:"consoleFd"` // -1: no terminal
	StartFD      int            `json:"startFd"`   // listening socket Start connects to; -1 for exec
	NewCgroupNS  bool           `json:"newCgroupNs,omitempty"`
	NewMountNS   bool           `json:"newMountNs,omitempty"`
	ParentHooks  bool           `json:"parentHooks,omitempty"`
	State        *specs.State   `json:"state,omitempty"` // for the hooks run in the container
	// Seccomp is linux.seccomp compiled by the parent through the
	// runtime's cache (compiling takes longer than the rest of a start).
	Seccomp *seccomp.Filter `json:"seccomp,omitempty"`
}

type syncMsg struct {
	Type   string       `json:"type"`
	Config *initConfig  `json:"config,omitempty"`
	Error  string       `json:"error,omitempty"`
	Kind   string       `json:"kind,omitempty"` // error class: "invalid", "noexec"
	State  *specs.State `json:"state,omitempty"`
}

// syncConn frames JSON messages on the sync socket.
type syncConn struct {
	enc *json.Encoder
	dec *json.Decoder
}

func newSyncConn(rw io.ReadWriter) *syncConn {
	return &syncConn{enc: json.NewEncoder(rw), dec: json.NewDecoder(rw)}
}

// plainMsg is a syncMsg without its payloads (Config, State), encoding to
// the same bytes. encoding/json builds the encoders of every type a type
// reaches, so a helper (a fresh process) encoding even {"type":"ready"} as
// a syncMsg first built encoders for the whole runtime-spec type graph (up
// to ~0.5 ms of its start here). TestPlainMsg keeps the two in step.
type plainMsg struct {
	Type  string `json:"type"`
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"`
}

func (s *syncConn) send(m syncMsg) error {
	if m.Config == nil && m.State == nil {
		return s.enc.Encode(m.plain())
	}
	return s.enc.Encode(m)
}

// plain drops Config and State; only for a message without them (send
// checks, errorMsg never sets them).
func (m syncMsg) plain() plainMsg { return plainMsg{Type: m.Type, Error: m.Error, Kind: m.Kind} }

// recv reads the next message; an error message from the helper comes back
// as an error of its class.
func (s *syncConn) recv(want string) (*syncMsg, error) {
	var m syncMsg
	if err := s.dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("waiting for %q: %w", want, err)
	}
	if m.Type == msgError {
		return nil, remoteError(m.Kind, m.Error)
	}
	if m.Type != want {
		return nil, fmt.Errorf("sync: got %q, want %q", m.Type, want)
	}
	return &m, nil
}

// errorMsg turns a helper's error into a message keeping its class.
func errorMsg(err error) syncMsg {
	m := syncMsg{Type: msgError, Error: err.Error()}
	switch {
	case errors.Is(err, ErrNoExecutable) && errors.Is(err, os.ErrPermission):
		// Found but not executable (EACCES: a plain file, a directory):
		// docker's 126 rather than 127, so both classes travel.
		m.Kind = "noperm"
	case errors.Is(err, ErrNoExecutable):
		m.Kind = "noexec"
	case errors.Is(err, ErrInvalid):
		m.Kind = "invalid"
	}
	return m
}

type classed struct {
	msg   string
	class error
}

func (e *classed) Error() string { return e.msg }
func (e *classed) Unwrap() error { return e.class }

// classedMulti is an error of several classes (errors.Is matches each).
type classedMulti struct {
	msg     string
	classes []error
}

func (e *classedMulti) Error() string   { return e.msg }
func (e *classedMulti) Unwrap() []error { return e.classes }

func remoteError(kind, msg string) error {
	switch kind {
	case "noperm":
		return &classedMulti{msg, []error{ErrNoExecutable, os.ErrPermission}}
	case "noexec":
		return &classed{msg, ErrNoExecutable}
	case "invalid":
		return &classed{msg, ErrInvalid}
	}
	return errors.New(msg)
}
