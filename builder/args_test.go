package builder

import (
	"slices"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func ptr(s string) *string { return &s }

func TestGlobalScope(t *testing.T) {
	lex := shell.NewLex('\\')
	meta := []instructions.ArgCommand{
		{Args: []instructions.KeyValuePairOptional{{Key: "A", Value: ptr("a")}, {Key: "B", Value: ptr("${A}-b")}}},
		{Args: []instructions.KeyValuePairOptional{{Key: "C"}, {Key: "D", Value: ptr("$TARGETARCH")}}},
	}
	auto := platformArgs(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	g, err := globalScope(lex, meta, map[string]string{"A": "given"}, auto)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"A": "given", "B": "given-b", "D": "amd64", "TARGETPLATFORM": "linux/amd64"} {
		if v, _ := g.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if _, ok := g.Get("C"); ok {
		t.Error("C declared without a value and not given must stay unset")
	}
}

func TestStageScopeDeclare(t *testing.T) {
	lex := shell.NewLex('\\')
	globals := vars{{"G", "global"}}
	auto := platformArgs(ocispec.Platform{OS: "linux", Architecture: "arm64"})
	s := &stageScope{env: vars{{"E", "env"}, {"SHADOW", "from-env"}}}
	decl := func(k string, v *string, given map[string]string) string {
		t.Helper()
		out, err := s.declare(lex, instructions.KeyValuePairOptional{Key: k, Value: v}, given, globals, auto)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := decl("G", nil, nil); got != "G=global" {
		t.Errorf("redeclared global: %q", got)
	}
	if got := decl("X", ptr("$E-x"), nil); got != "X=env-x" {
		t.Errorf("default expanded with env: %q", got)
	}
	if got := decl("Y", ptr("dflt"), map[string]string{"Y": "cli"}); got != "Y=cli" {
		t.Errorf("build-arg wins: %q", got)
	}
	if got := decl("TARGETARCH", nil, nil); got != "TARGETARCH=arm64" {
		t.Errorf("automatic arg: %q", got)
	}
	if got := decl("SHADOW", ptr("from-arg"), nil); got != "SHADOW=from-arg" {
		t.Errorf("shadow: %q", got)
	}
	if got := decl("NOVAL", nil, nil); got != "NOVAL" {
		t.Errorf("no value: %q", got)
	}
	// ENV wins over ARG in expansion and in RUN's environment.
	if v, _ := s.expandEnv().Get("SHADOW"); v != "from-env" {
		t.Errorf("expansion sees SHADOW=%q, want the ENV value", v)
	}
	env := s.runEnv(map[string]string{"HTTP_PROXY": "http://p", "UNDECLARED": "x"})
	for _, want := range []string{"E=env", "SHADOW=from-env", "G=global", "X=env-x", "HTTP_PROXY=http://p"} {
		if !slices.Contains(env, want) {
			t.Errorf("RUN env %v lacks %s", env, want)
		}
	}
	if slices.Contains(env, "UNDECLARED=x") || slices.Contains(env, "SHADOW=from-arg") || slices.Contains(env, "NOVAL=") {
		t.Errorf("RUN env %v has an undeclared or shadowed arg", env)
	}
	if _, ok := s.expandEnv().Get("NOVAL"); ok {
		t.Error("an arg declared without a value is set for expansion")
	}
	prefix := s.runArgsPrefix()
	if prefix[0] != "|6" || !slices.Contains(prefix, "SHADOW=from-env") || !slices.Contains(prefix, "NOVAL=") {
		t.Errorf("history prefix %v", prefix)
	}
}

func TestProxyArgsStayOutOfHistory(t *testing.T) {
	s := &stageScope{}
	lex := shell.NewLex('\\')
	if _, err := s.declare(lex, instructions.KeyValuePairOptional{Key: "http_proxy"}, map[string]string{"http_proxy": "x"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if p := s.runArgsPrefix(); p != nil {
		t.Errorf("proxy arg in history prefix: %v", p)
	}
}
