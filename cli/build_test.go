package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/builder"
)

func TestBuildPlainProgress(t *testing.T) {
	var out bytes.Buffer
	p, err := newBuildProgress(&out, "plain")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.event(builder.Event{Kind: builder.EventStart, Vertex: 1, Name: "[1/2] FROM docker.io/library/busybox:latest", Time: now})
	p.event(builder.Event{Kind: builder.EventDone, Vertex: 1, Elapsed: 10 * time.Millisecond, Time: now})
	p.event(builder.Event{Kind: builder.EventStart, Vertex: 2, Name: "[2/2] RUN echo hi", Time: now})
	p.event(builder.Event{Kind: builder.EventLog, Vertex: 2, Data: []byte("hi\npart"), Time: now.Add(300 * time.Millisecond)})
	p.event(builder.Event{Kind: builder.EventError, Vertex: 2, Err: errors.New("boom"), Time: now})
	p.event(builder.Event{Kind: builder.EventStart, Vertex: 3, Name: "[2/2] COPY a b", Time: now})
	p.event(builder.Event{Kind: builder.EventCached, Vertex: 3, Time: now})
	p.close(nil)
	want := "\n#1 [1/2] FROM docker.io/library/busybox:latest\n#1 DONE 0.0s\n\n#2 [2/2] RUN echo hi\n#2 0.300 hi\n#2 part\n#2 ERROR: boom\n\n#3 [2/2] COPY a b\n#3 CACHED\n"
	if out.String() != want {
		t.Errorf("plain output\n%q\nwant\n%q", out.String(), want)
	}
}

func TestBuildTTYProgressRedraws(t *testing.T) {
	var out bytes.Buffer
	p := &buildProgress{w: &out, mode: "tty", start: time.Now(), steps: map[int]*stepView{}, partial: map[int][]byte{}}
	p.event(builder.Event{Kind: builder.EventStart, Vertex: 1, Name: "[1/1] RUN make", Time: time.Now()})
	p.event(builder.Event{Kind: builder.EventLog, Vertex: 1, Data: []byte("compiling\n")})
	p.redraw(false)
	p.event(builder.Event{Kind: builder.EventDone, Vertex: 1})
	p.redraw(true)
	s := out.String()
	if !strings.Contains(s, " => => # compiling") || !strings.Contains(s, "\x1b[3A") || !strings.Contains(s, "[+] Finished") {
		t.Errorf("tty output %q", s)
	}
}

func TestBuildFlagParsing(t *testing.T) {
	o, err := parseOutput("type=tar,dest=out.tar")
	if err != nil || o.Type != "tar" || o.Dest != "out.tar" {
		t.Errorf("parseOutput: %+v %v", o, err)
	}
	if o, _ := parseOutput("dir"); o.Type != "local" || o.Dest != "dir" {
		t.Errorf("bare -o: %+v", o)
	}
	if _, err := parseOutput("type=registry"); err == nil {
		t.Error("type=registry accepted")
	}
	s, err := parseSecrets([]string{"id=tok,src=/tmp/x", "src=/run/y"})
	if err != nil || s["tok"] != "/tmp/x" || s["y"] != "/run/y" {
		t.Errorf("parseSecrets: %v %v", s, err)
	}
	if _, err := parseSecrets([]string{"id=a,bogus=1"}); err == nil {
		t.Error("bad secret key accepted")
	}
}
