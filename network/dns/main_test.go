package dns

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain lets Ensure re-execute the test binary as the responder: argv[0]
// is HelperName there, as it is for the onggi binary.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == HelperName {
		Main()
		return
	}
	os.Exit(m.Run())
}
