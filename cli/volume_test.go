package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/volume"
)

func volumeFixture() []engine.VolumeInfo {
	return []engine.VolumeInfo{
		{Volume: &volume.Volume{Name: "data", Driver: "local", Scope: "local", Mountpoint: "/var/lib/onggi/volumes/data/_data",
			Labels: map[string]string{"env": "prod"}}, UsedBy: []string{"abc"}, Size: -1},
		{Volume: &volume.Volume{Name: "cache", Driver: "local", Scope: "local"}, Size: 2048},
	}
}

func renderVolumes(t *testing.T, format string) string {
	t.Helper()
	var buf bytes.Buffer
	fm, err := newRowFormatter(&buf, format, volumeHeader)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range volumeFixture() {
		if err := fm.Row(newVolumeRow(v)); err != nil {
			t.Fatal(err)
		}
	}
	fm.Flush()
	return buf.String()
}

func TestVolumeListFormats(t *testing.T) {
	if got, want := renderVolumes(t, "table {{.Driver}}\t{{.Name}}"), "DRIVER    VOLUME NAME\nlocal     data\nlocal     cache\n"; got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if got, want := renderVolumes(t, `{{.Name}}:{{.Label "env"}}:{{.Links}}:{{.Size}}:{{.Scope}}`), "data:prod:1:N/A:local\ncache::0:2.05kB:local\n"; got != want {
		t.Errorf("template: %q", got)
	}
	if got := renderVolumes(t, "json"); !bytes.Contains([]byte(got), []byte(`"Mountpoint":"/var/lib/onggi/volumes/data/_data","Name":"data"`)) {
		t.Errorf("json: %s", got)
	}
}

func TestVolumeJSON(t *testing.T) {
	created := time.Date(2024, 1, 2, 3, 4, 5, 678, time.UTC)
	v := newVolumeJSON(engine.VolumeInfo{Volume: &volume.Volume{Name: "n", Driver: "local", CreatedAt: created}})
	if v.CreatedAt != "2024-01-02T03:04:05Z" || v.Name != "n" {
		t.Errorf("%+v", v)
	}
}

func TestKeyValues(t *testing.T) {
	m, err := keyValues([]string{"a=1", "b", "c=x=y"}, false)
	if err != nil || m["a"] != "1" || m["b"] != "" || m["c"] != "x=y" {
		t.Errorf("%v %v", m, err)
	}
	if _, err := keyValues([]string{"type"}, true); err == nil {
		t.Error("option without value accepted")
	}
}
