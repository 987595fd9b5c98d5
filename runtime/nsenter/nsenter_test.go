package nsenter

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestEnv(t *testing.T) {
	env, err := Config{Join: []Join{{Type: "network", Path: "/run/netns/x"}, {Type: "user", Path: "/proc/1/ns/user"}},
		New: 0x20000000, Root: "/proc/1/root", TimeOffsets: "boottime 1 0\n"}.Env(7)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"_ONGGI_NSENTER=7", "_ONGGI_NS_JOIN=net:/run/netns/x,user:/proc/1/ns/user",
		"_ONGGI_NS_NEW=536870912", "_ONGGI_NS_ROOT=/proc/1/root", "_ONGGI_TIMENS_OFFSETS=boottime 1 0\n"}
	if strings.Join(env, "|") != strings.Join(want, "|") {
		t.Fatalf("env %q, want %q", env, want)
	}
	if _, err := (Config{Join: []Join{{Type: "bogus", Path: "/x"}}}).Env(3); err == nil {
		t.Fatal("unknown type accepted")
	}
	if _, err := (Config{Join: []Join{{Type: "network", Path: "/a,b"}}}).Env(3); err == nil {
		t.Fatal("comma in path accepted")
	}
}

// pipeRW is the parent's end of the sync socket in a test: reads come from
// the constructor's script, writes are recorded.
type pipeRW struct {
	io.Reader
	out bytes.Buffer
}

func (p *pipeRW) Write(b []byte) (int, error) { return p.out.Write(b) }

func TestHandshake(t *testing.T) {
	rw := &pipeRW{Reader: strings.NewReader("userns 42\npid 43\n{\"next\":1}")}
	var mapped int
	pid, err := Handshake(rw, func(p int) error { mapped = p; return nil })
	if err != nil || pid != 43 || mapped != 42 || rw.out.String() != "ok\n" {
		t.Fatalf("pid %d mapped %d answer %q err %v", pid, mapped, rw.out.String(), err)
	}
	// What follows the pid line is left for the helper's own protocol.
	rest, _ := io.ReadAll(rw.Reader)
	if string(rest) != "{\"next\":1}" {
		t.Fatalf("handshake read past its lines: %q", rest)
	}
	_, err = Handshake(&pipeRW{Reader: strings.NewReader("error setns /x: EPERM\n")}, nil)
	if !errors.Is(err, ErrChild) || !strings.Contains(err.Error(), "setns /x") {
		t.Fatalf("error line: %v", err)
	}
	if _, err := Handshake(&pipeRW{Reader: strings.NewReader("pid 1")}, nil); err == nil {
		t.Fatal("truncated report accepted")
	}
}
