package dns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/onggi/onggi/errdefs"
)

// freeLoopback returns "127.0.0.1:port" with the port free for UDP and TCP
// right now (the responder binds it a moment later).
func freeLoopback(t *testing.T) string {
	t.Helper()
	return deadAddr(t)
}

// responders lists the pids of onggi-dns processes serving runroot.
func responders(t *testing.T, runroot string) []int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.HasPrefix(cmd, []byte(HelperName+"\x00")) ||
			!bytes.Contains(cmd, []byte("\x00"+runroot+"\x00")) || zombie(d) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		pids = append(pids, pid)
	}
	return pids
}

func zombie(procDir string) bool {
	stat, err := os.ReadFile(filepath.Join(procDir, "stat"))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z'
}

// setupProcess writes records listening on a free loopback port and makes
// sure no responder outlives the test.
func setupProcess(t *testing.T) (exe, runroot, addr string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	runroot = t.TempDir()
	addr = freeLoopback(t)
	writeTestRecords(t, runroot, Records{Listen: []string{addr}, Names: testRecords.Names})
	t.Cleanup(func() {
		if err := Stop(runroot, testNet); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return exe, runroot, addr
}

func TestEnsureStop(t *testing.T) {
	exe, runroot, addr := setupProcess(t)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Ensure(exe, runroot, testNet) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Ensure #%d: %v", i, err)
		}
	}
	pids := responders(t, runroot)
	if len(pids) != 1 {
		t.Fatalf("%d responders after 5 parallel Ensure (%v), want 1", len(pids), pids)
	}
	pid, held, err := holder(pidPath(runroot, testNet))
	if err != nil || !held || pid != pids[0] {
		t.Errorf("pidfile: pid %d held %v err %v; responder is %d", pid, held, err, pids[0])
	}
	// Listening by the time Ensure returned: no retry needed.
	for _, proto := range []string{"udp", "tcp"} {
		if got := answers(query(t, addr, proto, "web.", dns.TypeA)); len(got) != 1 || got[0] != "10.89.1.2" {
			t.Errorf("web over %s: %v", proto, got)
		}
	}
	if err := Ensure(exe, runroot, testNet); err != nil || len(responders(t, runroot)) != 1 {
		t.Errorf("Ensure on a running responder: %v, %d responders", err, len(responders(t, runroot)))
	}
	if err := Stop(runroot, testNet); err != nil {
		t.Fatal(err)
	}
	waitGone(t, runroot)
	for _, p := range []string{RecordsPath(runroot, testNet), pidPath(runroot, testNet), lockPath(runroot, testNet)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Stop: %v", p, err)
		}
	}
	if err := Stop(runroot, testNet); err != nil {
		t.Errorf("Stop of a stopped network: %v", err)
	}
}

// waitGone waits until no live responder of runroot is left: Stop returns
// once the process exited; a zombie awaiting our reaper counts as gone.
func waitGone(t *testing.T, runroot string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(responders(t, runroot)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("responders %v still running", responders(t, runroot))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEnsureReportsFailure(t *testing.T) {
	exe, runroot, addr := setupProcess(t)
	busy, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = Ensure(exe, runroot, testNet)
	t.Logf("taken port: %v", err)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Ensure on a taken port = %v, want ErrUnavailable with the bind error", err)
	}
	if pids := responders(t, runroot); len(pids) != 0 {
		t.Errorf("responders %v left after a failed start", pids)
	}
	if _, err := os.Stat(pidPath(runroot, testNet)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pidfile left by a failed start: %v", err)
	}
	err = Ensure(exe, runroot, "othernet")
	t.Logf("no records: %v", err)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Ensure without records = %v, want ErrUnavailable ... not found", err)
	}
}

func TestResponderIdleExit(t *testing.T) {
	exe, runroot, addr := setupProcess(t)
	if err := Ensure(exe, runroot, testNet); err != nil {
		t.Fatal(err)
	}
	first := responders(t, runroot)
	writeTestRecords(t, runroot, Records{Listen: []string{addr}})
	waitGone(t, runroot)
	if _, err := os.Stat(pidPath(runroot, testNet)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pidfile left by an idle exit: %v", err)
	}
	// Names back: Ensure starts a new one.
	writeTestRecords(t, runroot, Records{Listen: []string{addr}, Names: testRecords.Names})
	if err := Ensure(exe, runroot, testNet); err != nil {
		t.Fatal(err)
	}
	second := responders(t, runroot)
	if len(second) != 1 || fmt.Sprint(second) == fmt.Sprint(first) {
		t.Errorf("responders %v after restart (first %v)", second, first)
	}
	if got := answers(query(t, addr, "udp", "svc.", dns.TypeA)); len(got) != 2 {
		t.Errorf("svc: %v", got)
	}
}
