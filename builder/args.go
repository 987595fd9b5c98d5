package builder

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/onggi/onggi/image/manifest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// proxyArgs are Docker's predefined build args: usable by RUN without an
// ARG line, and left out of the image history and the cache key (they
// describe the builder's network, not the image).
var proxyArgs = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
}

func isProxyArg(k string) bool { return slices.Contains(proxyArgs, k) }

// platformArgs are BuildKit's automatic platform args: in the global scope
// (usable in FROM) without a declaration, and inside a stage once
// declared by `ARG NAME` without a value. onggi builds for the host only,
// so target and build platform are the same.
func platformArgs(p ocispec.Platform) map[string]string {
	pl := manifest.FormatPlatform(p)
	return map[string]string{
		"TARGETPLATFORM": pl, "TARGETOS": p.OS, "TARGETARCH": p.Architecture, "TARGETVARIANT": p.Variant,
		"BUILDPLATFORM": pl, "BUILDOS": p.OS, "BUILDARCH": p.Architecture, "BUILDVARIANT": p.Variant,
	}
}

// kv is one variable.
type kv struct{ k, v string }

// vars is an ordered variable list (a later entry replaces an earlier one
// of the same name). It implements shell.EnvGetter.
type vars []kv

var _ shell.EnvGetter = vars(nil)

// Get returns the value of k.
func (vs vars) Get(k string) (string, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].k == k {
			return vs[i].v, true
		}
	}
	return "", false
}

// Keys lists the names, each once.
func (vs vars) Keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range vs {
		if !seen[e.k] {
			seen[e.k] = true
			out = append(out, e.k)
		}
	}
	return out
}

// set replaces or appends k.
func (vs vars) set(k, v string) vars {
	for i := range vs {
		if vs[i].k == k {
			out := slices.Clone(vs)
			out[i].v = v
			return out
		}
	}
	return append(slices.Clip(vs), kv{k, v})
}

// envVars reads a config's "K=V" list.
func envVars(env []string) vars {
	var out vars
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		out = out.set(k, v)
	}
	return out
}

// globalScope resolves the meta ARGs (before the first FROM) in order:
// a --build-arg wins over the default, a default is expanded with the
// args before it and the automatic platform args. The result is the
// environment FROM lines are expanded with.
func globalScope(lex *shell.Lex, metaArgs []instructions.ArgCommand, given map[string]string, auto map[string]string) (vars, error) {
	var out vars
	keys := make([]string, 0, len(auto))
	for k := range auto {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = out.set(k, auto[k])
	}
	for _, cmd := range metaArgs {
		for _, a := range cmd.Args {
			if v, ok := given[a.Key]; ok {
				out = out.set(a.Key, v)
				continue
			}
			if a.Value == nil {
				// Declared without a value: defined but empty only if given
				// later; BuildKit leaves it unset.
				continue
			}
			v, _, err := lex.ProcessWord(*a.Value, out)
			if err != nil {
				return nil, err
			}
			out = out.set(a.Key, v)
		}
	}
	return out, nil
}

// stageScope is what a stage's instructions expand with and run with: its
// declared args and the image environment. ENV wins over ARG of the same
// name, as Docker documents.
type stageScope struct {
	args vars // ARGs declared in this stage, with their values
	env  vars // the image config's Env
	// unset are args declared without any value: named in RUN's history
	// text ("NAME="), but unset for expansion and RUN's environment.
	unset map[string]bool
}

// setArgs are the declared args that have a value.
func (s *stageScope) setArgs() vars {
	if len(s.unset) == 0 {
		return s.args
	}
	out := make(vars, 0, len(s.args))
	for _, a := range s.args {
		if !s.unset[a.k] {
			out = append(out, a)
		}
	}
	return out
}

// expandEnv is the environment for word expansion.
func (s *stageScope) expandEnv() vars {
	return append(slices.Clone(s.setArgs()), s.env...)
}

// declare resolves `ARG k[=default]` in the stage: a --build-arg wins,
// then the default (expanded), then a global meta arg of the same name,
// then an automatic platform arg. It returns the committed text "k=v" or
// "k" for the history.
func (s *stageScope) declare(lex *shell.Lex, a instructions.KeyValuePairOptional, given map[string]string, globals vars, auto map[string]string) (string, error) {
	v, ok := given[a.Key]
	switch {
	case ok:
	case a.Value != nil:
		var err error
		if v, _, err = lex.ProcessWord(*a.Value, s.expandEnv()); err != nil {
			return "", err
		}
		ok = true
	default:
		if v, ok = globals.Get(a.Key); !ok {
			v, ok = auto[a.Key]
		}
	}
	if !ok {
		// Declared, no value: the name exists for RUN's history text only.
		s.args = s.args.set(a.Key, "")
		if s.unset == nil {
			s.unset = map[string]bool{}
		}
		s.unset[a.Key] = true
		return a.Key, nil
	}
	delete(s.unset, a.Key)
	s.args = s.args.set(a.Key, v)
	return a.Key + "=" + v, nil
}

// runEnv is a RUN step's process environment: the image env, then the
// declared args the env does not shadow, then the predefined proxy args
// given with --build-arg.
func (s *stageScope) runEnv(given map[string]string) []string {
	out := make([]string, 0, len(s.env)+len(s.args))
	for _, e := range s.env {
		out = append(out, e.k+"="+e.v)
	}
	for _, a := range s.setArgs() {
		if _, shadowed := s.env.Get(a.k); !shadowed {
			out = append(out, a.k+"="+a.v)
		}
	}
	for _, k := range proxyArgs {
		if v, ok := given[k]; ok {
			if _, declared := s.args.Get(k); !declared {
				out = append(out, k+"="+v)
			}
		}
	}
	return out
}

// runArgsPrefix is BuildKit's "|N K=V …" prefix of a RUN's history text
// (and cache key): the declared args with the values the step sees
// (an ENV of the same name wins), proxy args left out.
func (s *stageScope) runArgsPrefix() []string {
	var out []string
	for _, a := range s.args {
		if isProxyArg(a.k) {
			continue
		}
		v := a.v
		if ev, ok := s.env.Get(a.k); ok {
			v = ev
		}
		out = append(out, a.k+"="+v)
	}
	if len(out) == 0 {
		return nil
	}
	return append([]string{"|" + strconv.Itoa(len(out))}, out...)
}
