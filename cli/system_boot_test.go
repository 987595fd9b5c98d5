package cli

import (
	"os"
	"strings"
	"testing"
)

// The unit shown in `system boot --help` is the unit shipped in contrib/.
func TestSystemBootDocumentsUnit(t *testing.T) {
	b, err := os.ReadFile("../contrib/systemd/onggi-boot.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(systemBootLong, "  "+line+"\n") {
			t.Errorf("help lacks unit line %q", line)
		}
	}
	for _, want := range []string{"Type=oneshot", "ExecStart=/usr/local/bin/onggi system boot", "After=local-fs.target", "WantedBy=multi-user.target"} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("unit lacks %q", want)
		}
	}
}
