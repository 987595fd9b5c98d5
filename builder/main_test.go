package builder

import (
	"os"
	"testing"

	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime"
)

// TestMain lets the test binary act as onggi's container init, as the
// onggi binary does for RUN steps.
func TestMain(m *testing.M) {
	runtime.RegisterHelpers(reexec.Register)
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}
