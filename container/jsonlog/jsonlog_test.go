package jsonlog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readAll(t *testing.T, path string, o ReadOptions) []Entry {
	t.Helper()
	var out []Entry
	if err := Read(context.Background(), path, o, func(e Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

func logs(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.Write(e.Log)
	}
	return b.String()
}

func TestFormat(t *testing.T) {
	ts := time.Date(2026, 12, 3, 4, 0, 0, 123456789, time.UTC)
	got := string(appendEntry(nil, "stdout", []byte("hello\n"), ts))
	want := `{"log":"hello\n","stream":"stdout","time":"2026-12-03T04:00:00.123456789Z"}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Escaping as dockerd's json-file driver does.
	got = string(appendString(nil, []byte("a<b>&\"\\\t\r\x01\u2028\xff")))
	want = `"a\u003cb\u003e\u0026\"\\\u0009\r\u0001\u2028\ufffd"`
	if got != want {
		t.Errorf("escaped %s, want %s", got, want)
	}
}

func TestReadDockerWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	lines := `{"log":"a\u003cb\n","stream":"stderr","time":"2019-01-01T00:00:00.000000001Z"}` + "\n" +
		`{"log":"partial","stream":"stdout","attrs":{"x":"y"},"time":"2019-01-01T00:00:01Z"}` + "\n"
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	es := readAll(t, path, ReadOptions{Tail: -1})
	if len(es) != 2 || string(es[0].Log) != "a<b\n" || es[0].Stream != "stderr" ||
		!es[0].Time.Equal(time.Date(2019, 1, 1, 0, 0, 0, 1, time.UTC)) || string(es[1].Log) != "partial" {
		t.Fatalf("entries %+v", es)
	}
}

func TestLongLineSplitAndFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := Open(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	long := strings.Repeat("x", 2*maxLine+10) + "\n"
	fmt.Fprint(s, long, "tail without newline")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	es := readAll(t, path, ReadOptions{Tail: -1})
	if len(es) != 4 || len(es[0].Log) != maxLine || len(es[1].Log) != maxLine || string(es[2].Log) != strings.Repeat("x", 10)+"\n" ||
		string(es[3].Log) != "tail without newline" {
		t.Fatalf("got %d entries: %d %d", len(es), len(es[0].Log), len(es[1].Log))
	}
	if logs(es) != long+"tail without newline" {
		t.Error("content differs")
	}
}

// writeLines writes n numbered lines to the stream.
func writeLines(t *testing.T, s interface{ Write([]byte) (int, error) }, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := fmt.Fprintf(s, "line %04d\n", i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c-json.log")
	const maxSize = 1000
	w, err := Open(path, maxSize, 3)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w.Stream("stdout"), 0, 200)
	w.Close()
	names, _ := filepath.Glob(path + "*")
	if len(names) != 3 {
		t.Fatalf("files %v, want exactly 3", names)
	}
	for _, n := range names {
		fi, _ := os.Stat(n)
		if fi.Size() > maxSize {
			t.Errorf("%s is %d bytes > %d", n, fi.Size(), maxSize)
		}
	}
	es := readAll(t, path, ReadOptions{Tail: -1})
	// The kept files hold the newest lines, in order, ending with the last.
	for i, e := range es {
		want := fmt.Sprintf("line %04d\n", 200-len(es)+i)
		if string(e.Log) != want {
			t.Fatalf("entry %d: %q, want %q", i, e.Log, want)
		}
	}
	// Tail across files.
	tail := readAll(t, path, ReadOptions{Tail: 25})
	if len(tail) != 25 || string(tail[0].Log) != "line 0175\n" || string(tail[24].Log) != "line 0199\n" {
		t.Fatalf("tail: %d entries, first %q", len(tail), tail[0].Log)
	}
	if n := len(readAll(t, path, ReadOptions{Tail: 0})); n != 0 {
		t.Errorf("tail 0: %d entries", n)
	}
	if n := len(readAll(t, path, ReadOptions{Tail: 100000})); n != len(es) {
		t.Errorf("tail beyond the start: %d entries, want %d", n, len(es))
	}
}

func TestOneFileTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := Open(path, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w.Stream("stdout"), 0, 100)
	w.Close()
	if names, _ := filepath.Glob(path + "*"); len(names) != 1 {
		t.Fatalf("files %v", names)
	}
	es := readAll(t, path, ReadOptions{Tail: -1})
	if len(es) == 0 || string(es[len(es)-1].Log) != "line 0099\n" {
		t.Fatalf("entries %d", len(es))
	}
}

func TestSinceUntil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b []byte
	for i := range 10 {
		b = appendEntry(b, "stdout", fmt.Appendf(nil, "%d\n", i), base.Add(time.Duration(i)*time.Second))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	es := readAll(t, path, ReadOptions{Tail: -1, Since: base.Add(3 * time.Second), Until: base.Add(6 * time.Second)})
	if logs(es) != "3\n4\n5\n6\n" {
		t.Fatalf("got %q", logs(es))
	}
}

func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := Open(path, 4096, 50)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, name := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := w.Stream(name)
			for i := range 300 {
				// Written in two pieces: lines must still come out whole.
				fmt.Fprintf(s, "%s %04d ", name, i)
				fmt.Fprintf(s, "end\n")
			}
		}()
	}
	wg.Wait()
	w.Close()
	es := readAll(t, path, ReadOptions{Tail: -1})
	next := map[string]int{}
	for _, e := range es {
		want := fmt.Sprintf("%s %04d end\n", e.Stream, next[e.Stream])
		if string(e.Log) != want {
			t.Fatalf("got %q, want %q", e.Log, want)
		}
		next[e.Stream]++
	}
	if next["stdout"] != 300 || next["stderr"] != 300 {
		t.Fatalf("counts %v", next)
	}
}

// follower reads path with Follow in the background, sending each line.
func follower(t *testing.T, path string, o ReadOptions) (<-chan string, <-chan error) {
	lines, errc := make(chan string, 10000), make(chan error, 1)
	o.Follow = true
	go func() {
		errc <- Read(context.Background(), path, o, func(e Entry) error {
			lines <- string(e.Log)
			return nil
		})
	}()
	return lines, errc
}

func expect(t *testing.T, lines <-chan string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		select {
		case got := <-lines:
			if want := fmt.Sprintf("line %04d\n", i); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("line %d did not arrive", i)
		}
	}
}

func TestFollowAcrossRotationsEndsOnDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := Open(path, 700, 3)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	writeLines(t, s, 0, 5)
	done := make(chan struct{})
	lines, errc := follower(t, path, ReadOptions{Tail: -1, Done: done})
	defer func() {
		select {
		case err := <-errc:
			t.Logf("follower ended: %v", err)
		default:
		}
	}()
	expect(t, lines, 0, 5)
	// Batches of 20 lines (~1.6 KB, two or three rotations) while the
	// reader follows: every line arrives once, in order.
	for b := range 20 {
		writeLines(t, s, 5+b*20, 20)
		expect(t, lines, 5+b*20, 20)
	}
	writeLines(t, s, 405, 3)
	w.Close()
	close(done)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("follow did not end after Done")
	}
	expect(t, lines, 405, 3)
	if len(lines) != 0 {
		t.Fatalf("%d extra lines", len(lines))
	}
}

func TestFollowCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := Open(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	got := make(chan []byte, 1)
	go func() {
		errc <- Read(ctx, path, ReadOptions{Tail: 0, Follow: true}, func(e Entry) error {
			select {
			case got <- e.Log:
			case <-ctx.Done():
			}
			return nil
		})
	}()
	// Tail 0 and follow: only what is written from now on. The reader
	// may not be watching yet, so keep writing until a line arrives.
	s := w.Stream("stderr")
	for arrived := false; !arrived; {
		fmt.Fprintln(s, "new")
		select {
		case l := <-got:
			if !bytes.Equal(l, []byte("new\n")) {
				t.Fatalf("got %q", l)
			}
			arrived = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestMissingLog(t *testing.T) {
	err := Read(context.Background(), filepath.Join(t.TempDir(), "nope"), ReadOptions{Tail: -1}, func(Entry) error { return nil })
	if err == nil || !os.IsNotExist(err) && !strings.Contains(err.Error(), "not found") {
		t.Fatalf("err %v", err)
	}
}

// TestFollowLaggingReader: several rotations happen while the reader is
// busy; it finds its file among the rotated ones and reads everything
// newer in order.
func TestFollowLaggingReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := Open(path, 500, 10)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	writeLines(t, s, 0, 1)
	release, first := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	var got []string
	errc := make(chan error, 1)
	go func() {
		errc <- Read(context.Background(), path, ReadOptions{Tail: -1, Follow: true, Done: done}, func(e Entry) error {
			if len(got) == 0 {
				close(first)
				<-release
			}
			got = append(got, string(e.Log))
			return nil
		})
	}()
	<-first
	writeLines(t, s, 1, 40) // ~1.6 KB: three rotations
	close(release)
	w.Close()
	close(done)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(got) != 41 {
		t.Fatalf("%d lines, want 41", len(got))
	}
	for i, l := range got {
		if want := fmt.Sprintf("line %04d\n", i); l != want {
			t.Fatalf("line %d: %q, want %q", i, l, want)
		}
	}
}
