package dns

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestBindWaitsForAddress: a fixed address still held (by the responder of
// a removed instance that has not noticed yet) is retried until it is
// free; one held for longer than bindWait fails with EADDRINUSE.
func TestBindWaitsForAddress(t *testing.T) {
	holder, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := holder.LocalAddr().String()
	released := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		holder.Close()
		close(released)
	}()
	s, err := New(Config{RecordsPath: t.TempDir() + "/records.json", Listen: []string{addr}})
	if err != nil {
		t.Fatalf("New on an address freed while waiting: %v", err)
	}
	s.Close()
	<-released

	held, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	old := bindWait
	bindWait = 200 * time.Millisecond
	t.Cleanup(func() { bindWait = old })
	if _, err := New(Config{RecordsPath: t.TempDir() + "/records.json", Listen: []string{held.LocalAddr().String()}}); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("New on a held address: %v, want EADDRINUSE", err)
	}
}
