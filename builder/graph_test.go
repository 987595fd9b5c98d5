package builder

import (
	"errors"
	"slices"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/onggi/onggi/errdefs"
)

const multiStage = `ARG BASE=busybox
FROM ${BASE} AS base
FROM base AS a
RUN true
FROM busybox AS b
RUN --mount=type=bind,from=a,target=/a true
FROM scratch AS unused
FROM scratch
COPY --from=b /x /x
COPY --from=1 /y /y
COPY --from=busybox /bin/sh /sh
`

func TestGraphTargetPruning(t *testing.T) {
	df, err := Parse("Dockerfile", []byte(multiStage))
	if err != nil {
		t.Fatal(err)
	}
	lex := shell.NewLex('\\')
	globals := vars{{"BASE", "busybox"}}
	g, err := buildGraph(df, lex, globals, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.needed(); !slices.Equal(got, []int{0, 1, 2, 4}) {
		t.Errorf("needed for the last stage: %v, want [0 1 2 4]", got)
	}
	if g.nodes[1].baseStage != 0 || g.nodes[0].base != "busybox" || g.nodes[4].name != "stage-4" {
		t.Errorf("bases: %+v %+v", g.nodes[1], g.nodes[0])
	}
	g, err = buildGraph(df, lex, globals, "A")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.needed(); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("needed for --target a: %v", got)
	}
	if _, err := buildGraph(df, lex, globals, "nope"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("unknown target: %v", err)
	}
}

func TestStepKeys(t *testing.T) {
	a := stepKey("sha256:00", "run", "RUN x")
	if a != stepKey("sha256:00", "run", "RUN x") {
		t.Fatal("keys are not deterministic")
	}
	for _, other := range []string{
		string(stepKey("sha256:01", "run", "RUN x")),
		string(stepKey("sha256:00", "run", "RUN y")),
		string(stepKey("sha256:00", "runR", "UN x")), // parts are delimited
	} {
		if other == string(a) {
			t.Errorf("distinct steps share key %s", a)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := workdirPath("/a", "b/../c"); got != "/a/c" {
		t.Errorf("workdirPath: %s", got)
	}
	if got := destPath("/app", "."); got != "/app/" {
		t.Errorf("destPath .: %s", got)
	}
	if got := destPath("/app", "sub/"); got != "/app/sub/" {
		t.Errorf("destPath sub/: %s", got)
	}
	if got := destPath("", "/abs"); got != "/abs" {
		t.Errorf("destPath /abs: %s", got)
	}
	ps, err := parsePortSpec("8000-8002/UDP")
	if err != nil || !slices.Equal(ps, []string{"8000/udp", "8001/udp", "8002/udp"}) {
		t.Errorf("port range: %v %v", ps, err)
	}
	if _, err := parsePortSpec("80/icmp"); err == nil {
		t.Error("bad proto accepted")
	}
}
