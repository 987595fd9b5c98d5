package cli

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
)

func psFixture() []ctypes.Summary {
	created := time.Now().Add(-3 * time.Minute).Unix()
	return []ctypes.Summary{
		{
			ID: "4f66ad9a0b2e5f8b1e3c7a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b", Names: []string{"/web"},
			Image: "busybox", ImageID: "sha256:abcdef0123456789", Command: "sleep 100", Created: created,
			State: "running", Status: "Up 3 minutes", Labels: map[string]string{"b": "2", "a": "1"},
			Ports: []ctypes.PortSummary{{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"}},
		},
		{
			ID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Names: []string{"/db"},
			Image: "busybox@sha256:1111111111111111111111111111111111111111111111111111111111111111", Command: "sh -c 'while true; do sleep 1; done'",
			Created: created, State: "exited", Status: "Exited (0) 2 minutes ago",
		},
	}
}

func renderPs(t *testing.T, o *psOptions) string {
	t.Helper()
	var buf bytes.Buffer
	fm, err := newRowFormatter(&buf, psFormat(o), psHeader)
	if err != nil {
		t.Fatal(err)
	}
	list := psFixture()
	for i := range list {
		if err := fm.Row(newPsRow(&list[i], !o.noTrunc)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fm.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestPsDefaultTable(t *testing.T) {
	got := renderPs(t, &psOptions{})
	want := "" +
		"CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS                     PORTS                  NAMES\n" +
		"4f66ad9a0b2e   busybox   \"sleep 100\"              3 minutes ago   Up 3 minutes               0.0.0.0:8080->80/tcp   web\n" +
		"0123456789ab   busybox   \"sh -c 'while true; …\"   3 minutes ago   Exited (0) 2 minutes ago                          db\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPsQuietAndNoTrunc(t *testing.T) {
	if got := renderPs(t, &psOptions{quiet: true}); got != "4f66ad9a0b2e\n0123456789ab\n" {
		t.Errorf("-q: %q", got)
	}
	got := renderPs(t, &psOptions{noTrunc: true, format: "{{.ID}} {{.Image}} {{.Command}}"})
	if !strings.Contains(got, psFixture()[0].ID+` busybox "sleep 100"`) ||
		!strings.Contains(got, `busybox@sha256:1111`) || !strings.Contains(got, `"sh -c 'while true; do sleep 1; done'"`) {
		t.Errorf("--no-trunc: %q", got)
	}
}

func TestPsTemplateFields(t *testing.T) {
	got := renderPs(t, &psOptions{format: `table {{.Names}}\t{{.Label "a"}}\t{{.Labels}}\t{{.State}}\t{{upper .Names}}`})
	want := "NAMES     LABEL     LABELS    STATE     NAMES\n" +
		"web       1         a=1,b=2   running   WEB\n" +
		"db                            exited    DB\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPsJSON(t *testing.T) {
	got := renderPs(t, &psOptions{format: "json"})
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", got)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"ID": "4f66ad9a0b2e", "Names": "web", "Command": `"sleep 100"`, "State": "running",
		"Ports": "0.0.0.0:8080->80/tcp", "Labels": "a=1,b=2", "LocalVolumes": "0", "Size": "0B",
	} {
		if row[k] != want {
			t.Errorf("%s = %v, want %q", k, row[k], want)
		}
	}
	if _, ok := row["labels"]; ok {
		t.Error("unexported fields leaked into JSON")
	}
}

func TestPsSizeColumn(t *testing.T) {
	got := renderPs(t, &psOptions{size: true})
	if !strings.HasPrefix(got, "CONTAINER ID") || !strings.Contains(strings.SplitN(got, "\n", 2)[0], "SIZE") {
		t.Errorf("-s header: %q", got)
	}
	c := ctypes.Summary{SizeRw: 2, SizeRootFs: 4260000}
	if s := psSize(&c); s != "2B (virtual 4.26MB)" {
		t.Errorf("size %q", s)
	}
}

func TestDisplayPorts(t *testing.T) {
	any4 := netip.MustParseAddr("0.0.0.0")
	any6 := netip.MustParseAddr("::")
	for _, tc := range []struct {
		ports []ctypes.PortSummary
		want  string
	}{
		{nil, ""},
		{[]ctypes.PortSummary{{PrivatePort: 80, Type: "tcp"}}, "80/tcp"},
		{[]ctypes.PortSummary{{PrivatePort: 81, Type: "tcp"}, {PrivatePort: 80, Type: "tcp"}, {PrivatePort: 82, Type: "tcp"}}, "80-82/tcp"},
		{[]ctypes.PortSummary{{IP: any4, PrivatePort: 80, PublicPort: 80, Type: "tcp"}, {IP: any4, PrivatePort: 81, PublicPort: 81, Type: "tcp"}}, "0.0.0.0:80-81->80-81/tcp"},
		{[]ctypes.PortSummary{{IP: any4, PrivatePort: 80, PublicPort: 8080, Type: "tcp"}, {IP: any6, PrivatePort: 80, PublicPort: 8080, Type: "tcp"}}, "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
		{[]ctypes.PortSummary{{PrivatePort: 80, Type: "tcp"}, {PrivatePort: 90, Type: "tcp"}}, "80/tcp, 90/tcp"},
		{[]ctypes.PortSummary{{IP: any4, PrivatePort: 80, PublicPort: 80, Type: "tcp"}, {IP: any6, PrivatePort: 80, PublicPort: 80, Type: "tcp"}}, "0.0.0.0:80->80/tcp, [::]:80->80/tcp"},
	} {
		if got := displayPorts(tc.ports); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.ports, got, tc.want)
		}
	}
}

func TestEllipsis(t *testing.T) {
	for in, want := range map[string]string{"sleep 100": "sleep 100", "12345678901234567890": "12345678901234567890", "123456789012345678901": "1234567890123456789…"} {
		if got := ellipsis(in, 20); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
