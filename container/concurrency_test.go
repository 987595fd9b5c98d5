package container

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

// workerEnv makes the test binary act as one of many processes sharing a
// store (see TestStoreWorker).
const workerEnv = "ONGGI_CONTAINER_STORE_WORKER"

const (
	workers          = 20
	updatesPerWorker = 15
)

// churn is one worker's share: bump the shared counter, race for one
// name, create and remove containers of its own.
func churn(s *Store, shared string, worker int) (wonName bool, err error) {
	for i := 0; i < updatesPerWorker; i++ {
		if _, err := s.Update(shared, func(c *Container) error { c.RestartCount++; return nil }); err != nil {
			return false, err
		}
		own := &Container{Name: fmt.Sprintf("w%d-%d", worker, i)}
		if err := s.Create(own); err != nil {
			return false, err
		}
		if i%2 == 0 {
			unlock, err := s.Lock(own.ID)
			if err != nil {
				return false, err
			}
			err = s.Remove(own.ID)
			unlock()
			if err != nil {
				return false, err
			}
		}
	}
	err = s.Create(&Container{Name: "contended"})
	if errors.Is(err, errdefs.ErrExists) {
		return false, nil
	}
	return err == nil, err
}

func checkChurn(t *testing.T, s *Store, shared string) {
	t.Helper()
	c, err := s.Get(shared)
	if err != nil {
		t.Fatal(err)
	}
	if c.RestartCount != workers*updatesPerWorker {
		t.Fatalf("lost updates: counter %d, want %d", c.RestartCount, workers*updatesPerWorker)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	// shared + contended + the odd-numbered containers of each worker.
	if want := 2 + workers*(updatesPerWorker/2); len(list) != want {
		t.Fatalf("%d records, want %d", len(list), want)
	}
	for _, c := range list {
		if got, err := s.Get(c.Name); err != nil || got.ID != c.ID {
			t.Fatalf("name %q does not resolve to %s: %v", c.Name, c.ID, err)
		}
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	s := newStore(t)
	shared := mustCreate(t, s, "shared")
	var wg sync.WaitGroup
	wins := make(chan bool, workers)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, err := churn(s, shared.ID, w)
			wins <- won
			errs <- err
		}()
	}
	wg.Wait()
	close(wins)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d creates of one name succeeded", n)
	}
	checkChurn(t, s, shared.ID)
}

// TestConcurrentProcesses runs the same churn in 20 processes (the test
// binary re-executed), the case the flocks exist for.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	s := newStore(t)
	shared := mustCreate(t, s, "shared")
	cmds := make([]*exec.Cmd, workers)
	for w := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStoreWorker$")
		cmd.Env = append(os.Environ(), workerEnv+"="+s.dir+","+shared.ID+","+strconv.Itoa(w))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[w] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("worker: %v", err)
		}
	}
	n := 0
	list, _ := s.List()
	for _, c := range list {
		if c.Name == "contended" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d records named contended", n)
	}
	checkChurn(t, s, shared.ID)
}

// TestStoreWorker is the child side of the multi-process tests.
func TestStoreWorker(t *testing.T) {
	arg := os.Getenv(workerEnv)
	if arg == "" {
		t.Skip("only run as a worker process")
	}
	var dir, shared string
	var w int
	if _, err := fmt.Sscanf(replaceCommas(arg), "%s %s %d", &dir, &shared, &w); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if shared == "crash" {
		crashLoop(s)
	}
	if _, err := churn(s, shared, w); err != nil {
		t.Fatal(err)
	}
}

func replaceCommas(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == ',' {
			b[i] = ' '
		}
	}
	return string(b)
}

// crashLoop creates, renames and removes containers until killed,
// printing a line per round so the parent knows it is busy.
func crashLoop(s *Store) {
	for i := 0; ; i++ {
		c := &Container{Name: fmt.Sprintf("k%d", i%7)}
		if err := s.Create(c); err == nil {
			s.Rename(c.ID, fmt.Sprintf("m%d", i%5))
		}
		if i%3 == 0 {
			if c, err := s.Get(fmt.Sprintf("m%d", i%5)); err == nil {
				s.Remove(c.ID)
			}
		}
		fmt.Println(i)
	}
}

// TestKilledWriters kills processes with SIGKILL in the middle of creates,
// renames and removes, then checks the store is consistent: List works,
// every listed name resolves, and every name can be created or reports
// a real owner.
func TestKilledWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	s := newStore(t)
	for round := 0; round < 5; round++ {
		var procs []*exec.Cmd
		for w := 0; w < 3; w++ {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStoreWorker$")
			cmd.Env = append(os.Environ(), workerEnv+"="+s.dir+",crash,"+strconv.Itoa(w))
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			sc := bufio.NewScanner(out)
			for i := 0; i < 20*(round+1) && sc.Scan(); i++ {
			}
			procs = append(procs, cmd)
		}
		for _, cmd := range procs {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
		checkConsistent(t, s)
	}
}

func checkConsistent(t *testing.T, s *Store) {
	t.Helper()
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range list {
		if prev, dup := names[c.Name]; dup {
			t.Fatalf("name %q held by %s and %s", c.Name, prev, c.ID)
		}
		names[c.Name] = c.ID
		if got, err := s.Get(c.Name); err != nil || got.ID != c.ID {
			t.Fatalf("name %q: %v %v", c.Name, got, err)
		}
	}
	for _, n := range []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "m0", "m1", "m2", "m3", "m4"} {
		err := s.Create(&Container{Name: n})
		if _, taken := names[n]; taken != errors.Is(err, errdefs.ErrExists) || (!taken && err != nil) {
			t.Fatalf("create %q: taken=%v err=%v", n, taken, err)
		}
	}
	// Leave the store empty-ish for the next round.
	list, _ = s.List()
	for _, c := range list {
		if err := s.Remove(c.ID); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(s.dir, "names"))
	for _, e := range entries {
		if e.Name()[0] != '.' {
			if owner := s.nameOwner(e.Name()); s.owns(owner, e.Name()) {
				t.Fatalf("name %s still owned after removing everything", e.Name())
			}
		}
	}
}
