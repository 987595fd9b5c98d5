package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/onggi/onggi/runtime/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestPlainMsg: a message without payloads encodes to the same bytes as
// plainMsg as it does as a syncMsg, and plainMsg carries every other field
// of syncMsg, so a field added to one is not silently dropped by send.
func TestPlainMsg(t *testing.T) {
	for _, m := range []syncMsg{
		{Type: msgReady},
		{Type: msgHooks},
		{Type: msgHooksDone},
		errorMsg(errors.New(`boom "quoted" <tag> & más`)),
		errorMsg(classedErr(ErrNoExecutable)),
		errorMsg(classedErr(ErrInvalid)),
	} {
		full, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := json.Marshal(m.plain())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(full, plain) {
			t.Errorf("plain encoding %s, want %s", plain, full)
		}
		var buf bytes.Buffer
		if err := newSyncConn(&buf).send(m); err != nil {
			t.Fatal(err)
		}
		if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, full) {
			t.Errorf("send wrote %s, want %s", got, full)
		}
	}
	st, pt := reflect.TypeOf(syncMsg{}), reflect.TypeOf(plainMsg{})
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if f.Name == "Config" || f.Name == "State" {
			continue
		}
		pf, ok := pt.FieldByName(f.Name)
		if !ok || pf.Type != f.Type || pf.Tag != f.Tag {
			t.Errorf("syncMsg.%s (%s %s) has no twin in plainMsg", f.Name, f.Type, f.Tag)
		}
	}
	if pt.NumField() != st.NumField()-2 {
		t.Errorf("plainMsg has %d fields, want %d", pt.NumField(), st.NumField()-2)
	}
}

func classedErr(class error) error { return &classed{"failed", class} }

// TestHelperSpec: with a compiled filter the helper gets an empty profile
// in place of linux.seccomp (still non-nil after the JSON round trip, which
// prepareProcess checks), and the caller's spec is left alone.
func TestHelperSpec(t *testing.T) {
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActAllow}}}
	spec := &specs.Spec{Hostname: "h", Linux: &specs.Linux{Seccomp: prof, MaskedPaths: []string{"/proc/kcore"}}}
	if got := helperSpec(spec, nil); got != spec {
		t.Error("without a filter the spec must go as it is")
	}
	got := helperSpec(spec, &seccomp.Filter{})
	if spec.Linux.Seccomp != prof || len(prof.Syscalls) != 1 {
		t.Fatal("helperSpec modified the caller's spec")
	}
	data, err := json.Marshal(initConfig{Spec: got})
	if err != nil {
		t.Fatal(err)
	}
	var cfg initConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	l := cfg.Spec.Linux
	if l.Seccomp == nil || len(l.Seccomp.Syscalls) != 0 {
		t.Errorf("helper's linux.seccomp = %+v, want an empty non-nil profile", l.Seccomp)
	}
	if cfg.Spec.Hostname != "h" || len(l.MaskedPaths) != 1 {
		t.Errorf("the rest of the spec was lost: %+v", cfg.Spec)
	}
	noLinux := &specs.Spec{}
	if helperSpec(noLinux, &seccomp.Filter{}) != noLinux {
		t.Error("a spec without linux must go as it is")
	}
}
