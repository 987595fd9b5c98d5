package cli

import (
	"bytes"
	"testing"
	"time"
)

func TestImageHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1234: "1.23kB", 2131881: "2.13MB", 122225152: "122MB", 5e9: "5GB"} {
		if got := imageHumanSize(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestImageHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "Less than a second", 30 * time.Second: "30 seconds", 90 * time.Second: "About a minute",
		5 * time.Minute: "5 minutes", time.Hour: "About an hour", 30 * time.Hour: "30 hours",
		72 * time.Hour: "3 days", 21 * 24 * time.Hour: "3 weeks", 200 * 24 * time.Hour: "6 months", 800 * 24 * time.Hour: "2 years",
	} {
		if got := imageHumanDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestImageFormatterTable(t *testing.T) {
	var buf bytes.Buffer
	f, err := newImageFormatter(&buf, "table {{.Repository}}\t{{.Tag}}", imageListHeaders)
	if err != nil {
		t.Fatal(err)
	}
	f.Row(imageRow{Repository: "busybox", Tag: "latest"})
	f.Flush()
	want := "REPOSITORY   TAG\nbusybox      latest\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
	if _, err := newImageFormatter(&buf, "{{.Bad", nil); err == nil {
		t.Error("bad template accepted")
	}
}
