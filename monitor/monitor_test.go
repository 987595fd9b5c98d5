package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// syncBuffer is a bytes.Buffer safe for the session's writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitSession(t *testing.T, sess *Session) Result {
	t.Helper()
	res, err := sess.Wait()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	return res
}

func TestStartAttachStreams(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sh", "-c", "echo out; echo err >&2; exit 3")
	var out, errb syncBuffer
	sess, err := f.client.Start(context.Background(), s, &Attach{Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	res := waitSession(t, sess)
	if res.Detached || res.Exit.Code != 3 {
		t.Fatalf("result %+v, want exit 3", res)
	}
	if out.String() != "out\n" || errb.String() != "err\n" {
		t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
	}
	f.rec.waitDone(t, s.ID)
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	if f.rec.started[s.ID] != 1 || len(f.rec.exits[s.ID]) != 1 || f.rec.exits[s.ID][0].Code != 3 {
		t.Fatalf("hooks: started %d exits %+v", f.rec.started[s.ID], f.rec.exits[s.ID])
	}
}

func TestStartErrorClass(t *testing.T) {
	f := newFixture(t, time.Minute)
	_, err := f.client.Start(context.Background(), f.spec(t, nil, "/no/such/binary"), &Attach{Stdout: io.Discard})
	if !errors.Is(err, runtime.ErrNoExecutable) {
		t.Fatalf("err %v, want ErrNoExecutable", err)
	}
	if ids, _ := f.client.Running(context.Background()); len(ids) != 0 {
		t.Fatalf("held after a failed start: %v", ids)
	}
}

func TestOpenStdin(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "cat")
	s.OpenStdin, s.StdinOnce = true, true
	var out syncBuffer
	sess, err := f.client.Start(context.Background(), s, &Attach{Stdin: strings.NewReader("piped in\n"), Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res := waitSession(t, sess); res.Exit.Code != 0 || out.String() != "piped in\n" {
		t.Fatalf("result %+v output %q", res, out.String())
	}
}

func ttySpec(s *specs.Spec) { s.Process.Terminal = true }

func TestTTYResize(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, ttySpec, "sh", "-c", "read x; stty size; echo err >&2")
	s.Tty, s.OpenStdin = true, true
	in, inw := io.Pipe()
	defer inw.Close()
	var out syncBuffer
	sess, err := f.client.Start(context.Background(), s, &Attach{Stdin: in, Stdout: &out, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Resize(Size{Width: 123, Height: 45}); err != nil {
		t.Fatal(err)
	}
	// The resize frame precedes the input on the connection, so the shell
	// reads "go" only after the size changed.
	if _, err := inw.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	res := waitSession(t, sess)
	if res.Exit.Code != 0 || !strings.Contains(out.String(), "45 123\r\n") || !strings.Contains(out.String(), "err\r\n") {
		t.Fatalf("result %+v output %q", res, out.String())
	}
}

func TestDetachKeys(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "cat")
	s.OpenStdin = true
	in, inw := io.Pipe()
	defer inw.Close()
	out := &lineWaiter{want: "abc\x10x\n", got: make(chan struct{})}
	sess, err := f.client.Start(context.Background(), s, &Attach{Stdin: in, Stdout: out})
	if err != nil {
		t.Fatal(err)
	}
	// A ctrl-p that is not followed by ctrl-q passes through.
	if _, err := inw.Write([]byte("abc\x10x\n")); err != nil {
		t.Fatal(err)
	}
	<-out.got
	if _, err := inw.Write([]byte{0x10, 0x11}); err != nil {
		t.Fatal(err)
	}
	if res := waitSession(t, sess); !res.Detached {
		t.Fatalf("result %+v, want detached", res)
	}
	if ids, _ := f.client.Running(context.Background()); !slices.Contains(ids, s.ID) {
		t.Fatalf("running %v after detach, want %s", ids, s.ID)
	}
	// Attach again with custom keys, then end the container.
	in2, inw2 := io.Pipe()
	defer inw2.Close()
	out2 := &lineWaiter{want: "again\n", got: make(chan struct{})}
	sess2, err := f.client.Attach(context.Background(), s.ID, &Attach{Stdin: in2, Stdout: out2, DetachKeys: []byte{'q'}})
	if err != nil {
		t.Fatal(err)
	}
	inw2.Write([]byte("again\n"))
	<-out2.got
	if err := f.drv.Kill(s.ID, syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if res := waitSession(t, sess2); res.Detached || res.Exit.Code != 137 {
		t.Fatalf("result %+v, want exit 137", res)
	}
}

// lineWaiter closes got once what was written contains want.
type lineWaiter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	got  chan struct{}
	seen bool
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && strings.Contains(w.buf.String(), w.want) {
		w.seen = true
		close(w.got)
	}
	return len(p), nil
}

func TestTwoContainers(t *testing.T) {
	f := newFixture(t, time.Minute)
	var wg sync.WaitGroup
	for i, word := range []string{"one", "two"} {
		s := f.spec(t, nil, "sh", "-c", "echo "+word+"; exit "+string(rune('1'+i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out syncBuffer
			sess, err := f.client.Start(context.Background(), s, &Attach{Stdout: &out})
			if err != nil {
				t.Error(err)
				return
			}
			res, err := sess.Wait()
			if err != nil || res.Exit.Code != i+1 || out.String() != word+"\n" {
				t.Errorf("%s: result %+v %v output %q", word, res, err, out.String())
			}
		}()
	}
	wg.Wait()
}

func TestRestartBackoff(t *testing.T) {
	f := newFixture(t, time.Minute)
	f.rec.restart = func(id string, n int) bool { return n <= 3 }
	s := f.spec(t, nil, "sh", "-c", "echo run; exit 1")
	var out syncBuffer
	sess, err := f.client.Start(context.Background(), s, &Attach{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	// The attached client sees the first exit, as docker run returns then.
	if res := waitSession(t, sess); res.Exit.Code != 1 || out.String() != "run\n" {
		t.Fatalf("result %+v output %q", res, out.String())
	}
	f.rec.waitDone(t, s.ID)
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	if f.rec.started[s.ID] != 4 || len(f.rec.exits[s.ID]) != 4 {
		t.Fatalf("started %d times, %d exits; want 4", f.rec.started[s.ID], len(f.rec.exits[s.ID]))
	}
	ex := f.rec.exits[s.ID]
	// Back-off: 100ms, 200ms, 400ms between the runs.
	if gap := ex[3].At.Sub(ex[0].At); gap < 700*time.Millisecond {
		t.Fatalf("4 runs within %v: no back-off", gap)
	}
}

func TestWait(t *testing.T) {
	f := newFixture(t, time.Minute)
	if _, ok, err := f.client.Wait(context.Background(), "nosuch"); ok || err != nil {
		t.Fatalf("wait for an unknown id: ok %v err %v", ok, err)
	}
	s := f.spec(t, nil, "sleep", "100")
	if sess, err := f.client.Start(context.Background(), s, nil); err != nil || sess != nil {
		t.Fatalf("start: %v %v", sess, err)
	}
	_, err := f.client.Start(context.Background(), s, nil)
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("second start: %v, want a conflict", err)
	}
	type waited struct {
		ex  Exit
		ok  bool
		err error
	}
	got := make(chan waited, 1)
	go func() {
		ex, ok, err := f.client.Wait(context.Background(), s.ID)
		got <- waited{ex, ok, err}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.client.Wait(ctx, s.ID); err == nil {
		t.Fatal("wait with a cancelled context returned no error")
	}
	if err := f.drv.Kill(s.ID, syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if w := <-got; w.err != nil || !w.ok || w.ex.Code != 137 {
		t.Fatalf("wait: %+v", w)
	}
	f.rec.waitDone(t, s.ID)
	if _, ok, err := f.client.Wait(context.Background(), s.ID); ok || err != nil {
		t.Fatalf("wait after the end: ok %v err %v", ok, err)
	}
}

func TestLogFile(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sh", "-c", "echo out; echo err >&2; printf partial")
	s.Log = LogConfig{Path: filepath.Join(t.TempDir(), "c-json.log"), MaxSize: 1 << 20, MaxFiles: 3}
	if _, err := f.client.Start(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	f.rec.waitDone(t, s.ID)
	data, err := os.ReadFile(s.Log.Path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(string(data)) {
		var e struct{ Log, Stream, Time string }
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Time == "" {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, e.Stream+":"+e.Log)
	}
	slices.Sort(got) // stdout and stderr are copied concurrently
	want := []string{"stderr:err\n", "stdout:out\n", "stdout:partial"}
	if !slices.Equal(got, want) {
		t.Fatalf("log entries %q, want %q", got, want)
	}
}

func TestOOMKilled(t *testing.T) {
	f := newFixture(t, time.Minute)
	limit := int64(64 << 20) // room for the init (a race-enabled test binary) before exec
	s := f.spec(t, func(sp *specs.Spec) {
		sp.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &limit}}
	}, "sh", "-c", "tail /dev/zero") // tail keeps the newline-free "line" in memory
	sess, err := f.client.Start(context.Background(), s, &Attach{Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	res := waitSession(t, sess)
	if !res.Exit.OOMKilled || res.Exit.Code != 137 {
		t.Fatalf("exit %+v, want OOM-killed with 137", res.Exit)
	}
	// A run that was not OOM-killed says so.
	s = f.spec(t, nil, "sh", "-c", "exit 137")
	if sess, err = f.client.Start(context.Background(), s, &Attach{Stdout: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if res := waitSession(t, sess); res.Exit.OOMKilled || res.Exit.Code != 137 {
		t.Fatalf("exit %+v, want 137 without OOM", res.Exit)
	}
}
