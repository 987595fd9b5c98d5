package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWriteVerifies(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	data := []byte("hello")
	good := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	cases := []struct {
		name string
		desc ocispec.Descriptor
		body []byte
		want error
	}{
		{"wrong digest", ocispec.Descriptor{Digest: digest.FromString("x"), Size: 5}, data, errdefs.ErrInvalid},
		{"short", good, data[:3], errdefs.ErrInvalid},
		{"long", good, append(data, '!'), errdefs.ErrInvalid},
		{"bad digest", ocispec.Descriptor{Digest: "sha256:zz", Size: 5}, data, errdefs.ErrInvalid},
		{"sha512", ocispec.Descriptor{Digest: digest.Digest("sha512:" + strings.Repeat("a", 128)), Size: 5}, data, errdefs.ErrInvalid},
		{"good", good, data, nil},
		{"again", good, data, nil},
	}
	for _, c := range cases {
		err := s.Write(ctx, c.desc, bytes.NewReader(c.body))
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	got, err := s.ReadAll(good.Digest, 0)
	if err != nil || string(got) != "hello" {
		t.Fatalf("ReadAll: %q %v", got, err)
	}
	if _, err := s.ReadAll(good.Digest, 2); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("ReadAll cap: %v", err)
	}
	n := 0
	must(t, s.Walk(func(i Info) error { n++; return nil }))
	if n != 1 {
		t.Fatalf("%d blobs after failed writes, want 1", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "ingest")); len(ents) != 0 {
		t.Fatalf("failed writes left %d ingest files", len(ents))
	}
	must(t, s.Delete(good.Digest))
	if err := s.Delete(good.Digest); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := s.Info(good.Digest); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Info after Delete: %v", err)
	}
}

func TestIngestComputesDigest(t *testing.T) {
	s := open(t)
	data := bytes.Repeat([]byte("abc"), 1<<20)
	desc, err := s.Ingest(context.Background(), "x/y", bytes.NewReader(data))
	must(t, err)
	if desc.Digest != digest.FromBytes(data) || desc.Size != int64(len(data)) || desc.MediaType != "x/y" {
		t.Fatalf("got %+v", desc)
	}
	f, err := s.Open(desc.Digest)
	must(t, err)
	defer f.Close()
	got, _ := io.ReadAll(f)
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

// TestConcurrentWriters: goroutines and processes writing the same and
// different blobs at once all succeed and leave only complete blobs.
func TestConcurrentWriters(t *testing.T) {
	s := open(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte(fmt.Sprint(i%4)), 1<<18)
			errs <- s.Write(context.Background(), ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}, bytes.NewReader(data))
		}()
	}
	procs := make([]*exec.Cmd, 3)
	for i := range procs {
		procs[i] = helper(t, "write", s.Root())
		must(t, procs[i].Start())
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	for _, p := range procs {
		must(t, p.Wait())
	}
	verifyAll(t, s, 5)
}

// verifyAll checks every blob hashes to its name.
func verifyAll(t *testing.T, s *Store, want int) {
	t.Helper()
	n := 0
	must(t, s.Walk(func(i Info) error {
		n++
		b, err := s.ReadAll(i.Digest, 1<<30)
		if err != nil {
			return err
		}
		if digest.FromBytes(b) != i.Digest {
			return fmt.Errorf("blob %s is corrupt", i.Digest)
		}
		return nil
	}))
	if n != want {
		t.Fatalf("%d blobs, want %d", n, want)
	}
}

// TestCrashMidWrite kills a writer with SIGKILL halfway through a blob,
// then checks the store reads fine, the blob is absent, GC clears the
// garbage, and writing again works.
func TestCrashMidWrite(t *testing.T) {
	s := open(t)
	cmd := helper(t, "slow", s.Root())
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 5)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "half\n" {
		t.Fatalf("helper did not reach the middle of its write: %q %v", buf, err)
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()

	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "ingest")); len(ents) == 0 {
		t.Fatal("expected a leftover ingest file (the kill should have been mid-write)")
	}
	if s.Has(slowDigest()) {
		t.Fatal("a half-written blob is visible")
	}
	verifyAll(t, s, 0)
	l, err := s.LockGC(context.Background()) // the dead writer's lease died with it
	must(t, err)
	n, err := s.CleanIngest()
	l.Unlock()
	must(t, err)
	if n == 0 {
		t.Fatal("GC removed nothing")
	}
	data := slowData()
	must(t, s.Write(context.Background(), ocispec.Descriptor{Digest: slowDigest(), Size: int64(len(data))}, bytes.NewReader(data)))
	verifyAll(t, s, 1)
}

func slowData() []byte          { return bytes.Repeat([]byte("slow"), 1<<20) }
func slowDigest() digest.Digest { return digest.FromBytes(slowData()) }

// helper starts this test binary as a child running helperMain.
func helper(t *testing.T, mode, root string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "CONTENT_HELPER="+mode, "CONTENT_ROOT="+root)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestHelperProcess is not a test: it is the child of the tests above.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("CONTENT_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	s, err := Open(os.Getenv("CONTENT_ROOT"))
	if err != nil {
		os.Exit(2)
	}
	ctx := context.Background()
	switch mode {
	case "write":
		for i := 0; i < 5; i++ {
			data := bytes.Repeat([]byte(fmt.Sprint(i)), 1<<18)
			if err := s.Write(ctx, ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}, bytes.NewReader(data)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	case "slow":
		data := slowData()
		r := &stallReader{r: bytes.NewReader(data), at: int64(len(data) / 2)}
		s.Write(ctx, ocispec.Descriptor{Digest: slowDigest(), Size: int64(len(data))}, r)
	}
	os.Exit(0)
}

// stallReader announces "half" on stdout and blocks forever midway.
type stallReader struct {
	r  io.Reader
	n  int64
	at int64
}

func (s *stallReader) Read(p []byte) (int, error) {
	if s.n >= s.at {
		fmt.Println("half")
		time.Sleep(time.Hour)
	}
	if int64(len(p)) > s.at-s.n && s.n < s.at {
		p = p[:s.at-s.n]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	return n, err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
