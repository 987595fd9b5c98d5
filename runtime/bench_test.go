package runtime

import (
	"fmt"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
)

// BenchmarkRunTrue measures create+start+wait+delete of /bin/true from a
// busybox bundle, in process (no CLI start-up). Run as root:
//
//	go test -run '^$' -bench RunTrue -benchtime 200x ./runtime
func BenchmarkRunTrue(b *testing.B) {
	testbundle.RequireRoot(b)
	r, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	bundle := testbundle.Bundle(b, nil, "true")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("onggi-bench-%d", i)
		c, err := r.Create(id, CreateOpts{Bundle: bundle})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		if code, err := c.Wait(); err != nil || code != 0 {
			b.Fatalf("wait: %d %v", code, err)
		}
		if err := c.Delete(false); err != nil {
			b.Fatal(err)
		}
	}
}
