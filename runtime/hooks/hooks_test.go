package hooks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// script writes an executable /bin/sh script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func testState() *specs.State {
	return &specs.State{Version: specs.Version, ID: "c1", Status: specs.StateCreated, Pid: 42, Bundle: "/b"}
}

func TestStateOnStdinArgsAndEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	// sh -c keeps its own argv in /proc/$$/cmdline, which shows argv[0].
	body := `cat > "$OUT.state"; tr '\0' ' ' < /proc/$$/cmdline > "$OUT.args"; env > "$OUT.env"`
	h := specs.Hook{Path: "/bin/sh", Args: []string{"myhook", "-c", body}, Env: []string{"OUT=" + out, "X=1"}}
	if err := Run(Prestart, []specs.Hook{h}, testState()); err != nil {
		t.Fatal(err)
	}
	var got specs.State
	data, err := os.ReadFile(out + ".state")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("state on stdin is not JSON: %v: %q", err, data)
	}
	if got.ID != "c1" || got.Pid != 42 || got.Status != specs.StateCreated || got.Bundle != "/b" {
		t.Errorf("state = %+v", got)
	}
	if args, _ := os.ReadFile(out + ".args"); !strings.HasPrefix(string(args), "myhook -c ") {
		t.Errorf("argv = %q, want Args[0] as argv[0]", args)
	}
	env, _ := os.ReadFile(out + ".env")
	if !strings.Contains(string(env), "X=1") || strings.Contains(string(env), "HOME=") {
		t.Errorf("env = %q, want exactly the hook's Env", env)
	}
}

func TestOrderAndFirstFailureStops(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	env := []string{"LOG=" + log}
	hs := []specs.Hook{
		{Path: script(t, `echo one >> "$LOG"`), Env: env},
		{Path: script(t, `echo two >> "$LOG"; echo boom >&2; exit 7`), Env: env},
		{Path: script(t, `echo three >> "$LOG"`), Env: env},
	}
	err := Run(CreateRuntime, hs, testState())
	if err == nil {
		t.Fatal("failing hook: no error")
	}
	for _, want := range []string{"createRuntime", "#1", hs[1].Path, "exit status 7", "boom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	got, _ := os.ReadFile(log)
	if string(got) != "one\ntwo\n" {
		t.Errorf("hooks ran: %q, want one then two, not three", got)
	}
}

func TestTimeoutKills(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "marker")
	timeout := 1
	// The background sleep holds the output pipe: the group kill must end it.
	h := specs.Hook{Path: script(t, `sleep 30 & sleep 30; touch "$M"`), Env: []string{"M=" + marker}, Timeout: &timeout}
	err := Run(Poststart, []specs.Hook{h}, testState())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if _, serr := os.Stat(marker); serr == nil {
		t.Error("hook went on after its timeout")
	}
}

func TestTimeoutNotReachedAndInvalid(t *testing.T) {
	timeout := 10
	if err := Run(Poststop, []specs.Hook{{Path: script(t, "exit 0"), Timeout: &timeout}}, testState()); err != nil {
		t.Fatal(err)
	}
	zero := 0
	if err := Run(Poststop, []specs.Hook{{Path: script(t, "exit 0"), Timeout: &zero}}, testState()); err == nil {
		t.Error("timeout 0 accepted")
	}
}

func TestMissingBinary(t *testing.T) {
	err := Run(StartContainer, []specs.Hook{{Path: "/nonexistent/hook"}}, testState())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/hook") {
		t.Fatalf("err = %v", err)
	}
}
