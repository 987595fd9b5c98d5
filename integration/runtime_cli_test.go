package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/runtime/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cliState is runc's state JSON.
type cliState struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations"`
	Owner       string            `json:"owner"`
}

var idSeq atomic.Int64

// uniqueID keeps ids (and so default cgroup paths) apart across tests and
// test runs sharing the machine.
func uniqueID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), idSeq.Add(1))
}

func (c *runtimeCLI) state(id string) cliState {
	c.t.Helper()
	out := c.ok("state", id)
	var st cliState
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		c.t.Fatalf("state %s: not JSON: %v: %q", id, err, out)
	}
	return st
}

// waitStatus polls state until it reports want (a process exit has no
// event to wait on from outside).
func (c *runtimeCLI) waitStatus(id, want string) cliState {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := c.state(id)
		if st.Status == want || time.Now().After(deadline) {
			if st.Status != want {
				c.t.Fatalf("container %s: status %q, want %q", id, st.Status, want)
			}
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// specBundle makes a bundle whose config.json is written by the CLI's own
// `spec`, then edited: no terminal, args, and edit's changes.
func specBundle(t *testing.T, c *runtimeCLI, edit func(*specs.Spec), args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	testbundle.Rootfs(t, filepath.Join(dir, "rootfs"))
	c.ok("spec", "--bundle", dir)
	s := readSpec(t, dir)
	s.Process.Terminal = false
	s.Process.Args = args
	if edit != nil {
		edit(s)
	}
	testbundle.WriteSpec(t, dir, s)
	return dir
}

func readSpec(t *testing.T, dir string) *specs.Spec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("config.json written by spec is not a spec: %v", err)
	}
	return &s
}

func TestRuntimeLifecycle(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, mode := range runtimeModes() {
		t.Run(mode, func(t *testing.T) {
			c := newRuntimeCLI(t, mode)
			// PID 1 ignores SIGTERM unless it handles it: the trap makes
			// the default signal of kill observable.
			bundle := specBundle(t, c, nil, "sh", "-c", `trap "exit 0" TERM; sleep 1000 & wait`)
			id := uniqueID("lc")
			pidFile := filepath.Join(t.TempDir(), "pid")
			c.ok("create", "--bundle", bundle, "--pid-file", pidFile, id)

			st := c.state(id)
			if st.Status != "created" || st.ID != id || st.Bundle != bundle || st.Pid <= 0 {
				t.Fatalf("after create: %+v", st)
			}
			if st.Rootfs != filepath.Join(bundle, "rootfs") || st.Created.IsZero() || st.Version == "" {
				t.Errorf("after create: rootfs/created/ociVersion: %+v", st)
			}
			if data, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(st.Pid) {
				t.Errorf("pid file %q (%v), state pid %d", data, err, st.Pid)
			}
			c.ok("start", id)
			if st := c.state(id); st.Status != "running" {
				t.Fatalf("after start: %+v", st)
			}
			c.ok("kill", id)
			if st := c.waitStatus(id, "stopped"); st.Pid != 0 {
				t.Errorf("stopped container reports pid %d", st.Pid)
			}
			if r := c.run("kill", id, "KILL"); r.code != 1 || !strings.Contains(r.stderr, "container not running") {
				t.Errorf("kill of a stopped container: %v", r)
			}
			c.ok("delete", id)
			r := c.run("state", id)
			if r.code != 1 || !strings.Contains(r.stderr, "container does not exist") {
				t.Errorf("state after delete: %v", r)
			}
		})
	}
}

// TestRuntimeRootFlag checks that under `onggi runtime` the runtime's own
// --root, not the engine's, says where containers live, wherever it is put.
func TestRuntimeRootFlag(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi runtime")
	bundle := testbundle.Bundle(t, nil, "sleep", "1000")
	id := uniqueID("root")
	c.ok("create", "--bundle", bundle, id)
	for _, args := range [][]string{
		{onggiBin, "--root", t.TempDir(), "runtime", "--root", c.root, "list", "-q"},
		{onggiBin, "runtime", "list", "--root", c.root, "-q"},
	} {
		r := runCmd(t, execCommand(args...))
		if r.code != 0 || strings.TrimSpace(r.stdout) != id {
			t.Errorf("%v: %v, want %s listed", args[1:], r, id)
		}
	}
	other := newRuntimeCLI(t, "onggi-runc")
	if out := other.ok("list", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("another root lists %q", out)
	}
}

func TestRuntimeRunExitStatus(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, mode := range runtimeModes() {
		t.Run(mode, func(t *testing.T) {
			c := newRuntimeCLI(t, mode)
			bundle := testbundle.Bundle(t, nil, "sh", "-c", "echo out; echo err >&2; exit 3")
			id := uniqueID("run")
			r := c.run("run", "--bundle", bundle, id)
			if r.code != 3 || r.stdout != "out\n" || !strings.Contains(r.stderr, "err") {
				t.Fatalf("run: %v, want exit 3 with the container's output", r)
			}
			if r := c.run("state", id); r.code != 1 {
				t.Errorf("run without --keep left the container: %v", r)
			}
			r = c.run("run", "--keep", "--bundle", bundle, id)
			if r.code != 3 {
				t.Fatalf("run --keep: %v", r)
			}
			if st := c.state(id); st.Status != "stopped" {
				t.Errorf("run --keep: state %+v", st)
			}
		})
	}
}

// startSleeper creates and starts a container that sleeps, for the verbs
// that need a running one.
func startSleeper(t *testing.T, c *runtimeCLI, prefix string) (id, bundle string) {
	t.Helper()
	bundle = testbundle.Bundle(t, nil, "sleep", "1000")
	id = uniqueID(prefix)
	c.ok("run", "--detach", "--bundle", bundle, id)
	return id, bundle
}

func TestRuntimeExec(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, mode := range runtimeModes() {
		t.Run(mode, func(t *testing.T) {
			c := newRuntimeCLI(t, mode)
			id, _ := startSleeper(t, c, "exec")
			r := c.run("exec", "--env", "FOO=bar", "--cwd", "/tmp", id, "sh", "-c", `echo "$FOO $(pwd) $(hostname)"; exit 5`)
			if r.code != 5 || r.stdout != "bar /tmp onggi\n" {
				t.Errorf("exec: %v, want exit 5 and 'bar /tmp onggi'", r)
			}
			proc := specs.Process{Args: []string{"sh", "-c", "echo from-process-file"}, Cwd: "/",
				Env: []string{"PATH=/bin"}}
			pf := filepath.Join(t.TempDir(), "process.json")
			data, _ := json.Marshal(proc)
			os.WriteFile(pf, data, 0o644)
			if out := c.ok("exec", "--process", pf, id); out != "from-process-file\n" {
				t.Errorf("exec --process: %q", out)
			}
			pidFile := filepath.Join(t.TempDir(), "exec.pid")
			c.ok("exec", "--detach", "--pid-file", pidFile, id, "sleep", "1000")
			if data, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(data)) == "" {
				t.Errorf("exec --detach --pid-file: %q %v", data, err)
			}
			if pids := c.ok("ps", "--format", "json", id); strings.Count(pids, ",") != 1 {
				t.Errorf("ps after exec --detach: %s, want two pids", pids)
			}
			// sleep as PID 1 of its namespace ignores SIGTERM, the exec'd
			// sleep does not: with --all the latter must go.
			c.ok("kill", "--all", id, "TERM")
			for deadline := time.Now().Add(20 * time.Second); strings.Contains(c.ok("ps", "-f", "json", id), ","); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("kill --all TERM: the exec'd process survived")
				}
			}
			if st := c.state(id); st.Status != "running" {
				t.Errorf("kill --all TERM stopped the ignoring init: %s", st.Status)
			}
		})
	}
}

func TestRuntimeListAndPs(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	if out := c.ok("list", "--format", "json"); out != "null\n" {
		t.Errorf("empty list json = %q, want runc's null", out)
	}
	id, bundle := startSleeper(t, c, "list")
	pid := c.state(id).Pid

	table := strings.Split(strings.TrimSpace(c.ok("list")), "\n")
	if len(table) != 2 || strings.Join(strings.Fields(table[0]), " ") != "ID PID STATUS BUNDLE CREATED OWNER" {
		t.Fatalf("list table:\n%s", strings.Join(table, "\n"))
	}
	row := strings.Fields(table[1])
	if len(row) != 6 || row[0] != id || row[1] != strconv.Itoa(pid) || row[2] != "running" || row[3] != bundle || row[5] != "root" {
		t.Errorf("list row %q", table[1])
	}
	var list []cliState
	if err := json.Unmarshal([]byte(c.ok("list", "-f", "json")), &list); err != nil || len(list) != 1 || list[0].ID != id || list[0].Owner != "root" {
		t.Errorf("list json: %+v %v", list, err)
	}
	if out := c.ok("list", "-q"); out != id+"\n" {
		t.Errorf("list -q = %q", out)
	}

	var pids []int
	if err := json.Unmarshal([]byte(c.ok("ps", "--format", "json", id)), &pids); err != nil || len(pids) != 1 || pids[0] != pid {
		t.Errorf("ps json = %v (%v), want [%d]", pids, err, pid)
	}
	ps := strings.Split(strings.TrimSpace(c.ok("ps", id)), "\n")
	if len(ps) != 2 || !strings.Contains(ps[0], "PID") || !strings.Contains(ps[1], "sleep 1000") {
		t.Errorf("ps:\n%s", strings.Join(ps, "\n"))
	}
	ps = strings.Split(strings.TrimSpace(c.ok("ps", id, "-o", "pid,comm")), "\n")
	if len(ps) != 2 || strings.Join(strings.Fields(ps[1]), " ") != strconv.Itoa(pid)+" sleep" {
		t.Errorf("ps -o pid,comm:\n%s", strings.Join(ps, "\n"))
	}
}

func TestRuntimePauseResumeDelete(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	id, _ := startSleeper(t, c, "pause")
	c.ok("pause", id)
	if st := c.state(id); st.Status != "paused" {
		t.Errorf("after pause: %s", st.Status)
	}
	if r := c.run("exec", id, "true"); r.code != 1 || !strings.Contains(r.stderr, "paused") {
		t.Errorf("exec in a paused container: %v", r)
	}
	c.ok("resume", id)
	if st := c.state(id); st.Status != "running" {
		t.Errorf("after resume: %s", st.Status)
	}
	r := c.run("delete", id)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot delete container "+id+" that is not stopped: running") {
		t.Errorf("delete of a running container: %v", r)
	}
	c.ok("delete", "--force", id)
	if r := c.run("state", id); r.code != 1 {
		t.Errorf("delete --force left it: %v", r)
	}
	c.ok("delete", "--force", id) // runc: --force on an unknown id succeeds
	if r := c.run("kill", id, "KILL"); r.code != 1 || !strings.Contains(r.stderr, "container does not exist") {
		t.Errorf("kill of an unknown id: %v", r)
	}
}

func TestRuntimeEventsStatsAndUpdate(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	id, _ := startSleeper(t, c, "events")
	c.ok("update", "--pids-limit", "42", id)
	out := c.ok("events", "--stats", id)
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			Memory struct {
				Usage struct {
					Usage uint64 `json:"usage"`
				} `json:"usage"`
			} `json:"memory"`
			Pids struct {
				Current uint64 `json:"current"`
				Limit   uint64 `json:"limit"`
			} `json:"pids"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("events --stats: one JSON line expected: %v: %q", err, out)
	}
	if ev.Type != "stats" || ev.ID != id || ev.Data.Pids.Current != 1 || ev.Data.Memory.Usage.Usage == 0 {
		t.Errorf("events --stats = %+v", ev)
	}
	if ev.Data.Pids.Limit != 42 {
		t.Errorf("after update --pids-limit 42: pids.limit = %d", ev.Data.Pids.Limit)
	}

	// containerd's shim sends resources as JSON on stdin.
	upd := c.command("update", "--resources", "-", id)
	upd.Stdin = strings.NewReader(`{"pids":{"limit":43}}`)
	if r := runCmd(t, upd); r.code != 0 {
		t.Fatalf("update --resources -: %v", r)
	}
	if err := json.Unmarshal([]byte(c.ok("events", "--stats", id)), &ev); err != nil || ev.Data.Pids.Limit != 43 {
		t.Errorf("after update --resources -: pids.limit = %d (%v)", ev.Data.Pids.Limit, err)
	}

	// Without --stats, events streams until the container stops.
	stream := c.command("events", "--interval", "50ms", id)
	out2, err := stream.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out2)
	for i := 0; i < 2; i++ {
		if err := dec.Decode(&ev); err != nil || ev.Type != "stats" || ev.ID != id {
			t.Fatalf("streamed event %d: %+v %v", i, ev, err)
		}
	}
	c.ok("kill", id, "KILL")
	if err := stream.Wait(); err != nil {
		t.Errorf("events after the container stopped: %v", err)
	}
}

func TestRuntimeFeatures(t *testing.T) {
	c := newRuntimeCLI(t, "onggi-runc")
	out := c.ok("features")
	var f struct {
		OCIVersionMin string   `json:"ociVersionMin"`
		OCIVersionMax string   `json:"ociVersionMax"`
		Hooks         []string `json:"hooks"`
		MountOptions  []string `json:"mountOptions"`
		Linux         struct {
			Namespaces   []string `json:"namespaces"`
			Capabilities []string `json:"capabilities"`
			Cgroup       map[string]bool
			Seccomp      struct {
				Enabled bool     `json:"enabled"`
				Actions []string `json:"actions"`
			} `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("features is not JSON: %v\n%s", err, out)
	}
	join := func(s []string) string { return " " + strings.Join(s, " ") + " " }
	if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != specs.Version || len(f.Hooks) != 6 {
		t.Errorf("versions/hooks: %s %s %v", f.OCIVersionMin, f.OCIVersionMax, f.Hooks)
	}
	for _, want := range []string{"user", "cgroup", "time", "pid"} {
		if !strings.Contains(join(f.Linux.Namespaces), " "+want+" ") {
			t.Errorf("namespaces %v lack %s", f.Linux.Namespaces, want)
		}
	}
	if !strings.Contains(join(f.Linux.Capabilities), " CAP_SYS_ADMIN ") || !f.Linux.Cgroup["v1"] || !f.Linux.Cgroup["v2"] {
		t.Errorf("capabilities/cgroup: %v %v", f.Linux.Capabilities, f.Linux.Cgroup)
	}
	if !f.Linux.Seccomp.Enabled || !strings.Contains(join(f.Linux.Seccomp.Actions), " SCMP_ACT_ERRNO ") {
		t.Errorf("seccomp: %+v", f.Linux.Seccomp)
	}
}

func TestRuntimeSpec(t *testing.T) {
	c := newRuntimeCLI(t, "onggi-runc")
	dir := t.TempDir()
	c.ok("spec", "--bundle", dir)
	got, err := json.Marshal(readSpec(t, dir))
	want, _ := json.Marshal(specconv.Example())
	if err != nil || string(got) != string(want) {
		t.Errorf("spec wrote\n%s\nwant\n%s", got, want)
	}
	r := c.run("spec", "--bundle", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "File config.json exists. Remove it first") {
		t.Errorf("second spec: %v", r)
	}
	rootless := t.TempDir()
	c.ok("spec", "--rootless", "-b", rootless)
	s := readSpec(t, rootless)
	if s.Linux.UIDMappings == nil || s.Linux.Resources != nil {
		t.Errorf("spec --rootless: %+v", s.Linux)
	}
}

// TestRuntimeErrorLog checks the error reporting containerd's shim relies
// on: JSON lines in --log, the message on stderr too, exit status 1.
func TestRuntimeErrorLog(t *testing.T) {
	c := newRuntimeCLI(t, "onggi-runc")
	logFile := filepath.Join(t.TempDir(), "log.json")
	r := c.run("--log", logFile, "--log-format", "json", "state", "nosuch")
	if r.code != 1 || strings.TrimSpace(r.stderr) != "container does not exist" {
		t.Errorf("state nosuch with --log: %v", r)
	}
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	var entry map[string]string
	if err := json.Unmarshal(data, &entry); err != nil {
		t.Fatalf("log is not one JSON line: %v: %q", err, data)
	}
	if entry["level"] != "error" || entry["msg"] != "container does not exist" || entry["time"] == "" {
		t.Errorf("log entry %v", entry)
	}
	// Without --log, runc prints the logrus line on stderr.
	r = c.run("delete", "nosuch")
	if r.code != 1 || !strings.Contains(r.stderr, `level=error msg="container does not exist"`) {
		t.Errorf("delete nosuch: %v", r)
	}
	r = c.run("kill", "nosuch", "SIGNOPE")
	if r.code != 1 || !strings.Contains(r.stderr, "unknown signal") {
		t.Errorf("kill with a bad signal: %v", r)
	}
}
