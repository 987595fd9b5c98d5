package builder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image/manifest"
)

// stageNode is a stage of the graph: its base (an earlier stage or an
// image) and the stages its COPY --from and RUN --mount from= read.
type stageNode struct {
	index int
	stage *instructions.Stage
	name  string // the stage's name, or "stage-N"
	// base is the expanded FROM argument; baseStage its stage index or -1.
	base      string
	baseStage int
	deps      map[int]bool // stages this one needs, base included
}

// graph is the parsed Dockerfile's stages with their dependencies.
type graph struct {
	nodes  []*stageNode
	target int
}

// buildGraph resolves each stage's base (FROM expanded with the global
// args) and dependencies, and the target stage ("" = the last).
func buildGraph(df *Dockerfile, lex *shell.Lex, globals vars, target string) (*graph, error) {
	g := &graph{target: len(df.Stages) - 1}
	for i := range df.Stages {
		st := &df.Stages[i]
		n := &stageNode{index: i, stage: st, name: st.Name, baseStage: -1, deps: map[int]bool{}}
		if n.name == "" {
			n.name = "stage-" + strconv.Itoa(i)
		}
		base, _, err := lex.ProcessWord(st.BaseName, globals)
		if err != nil {
			return nil, df.errorAt(line(st), err)
		}
		if base == "" {
			return nil, df.errorAt(line(st), fmt.Errorf("%w: base name (%s) should not be blank", errdefs.ErrInvalid, st.BaseName))
		}
		n.base = base
		if err := checkPlatform(st.Platform, lex, globals); err != nil {
			return nil, df.errorAt(line(st), err)
		}
		if j, ok := g.stageRef(base, i); ok {
			n.baseStage = j
			n.deps[j] = true
		}
		g.nodes = append(g.nodes, n)
		if err := g.commandDeps(df, n, lex, globals); err != nil {
			return nil, err
		}
	}
	if target != "" {
		j, ok := g.byName(target)
		if !ok {
			return nil, fmt.Errorf("%w: target stage %q could not be found", errdefs.ErrInvalid, target)
		}
		g.target = j
	}
	return g, nil
}

// checkPlatform refuses FROM --platform values other than the host's
// (expanded with the global args, so $BUILDPLATFORM and $TARGETPLATFORM
// work): onggi builds for the host only.
func checkPlatform(p string, lex *shell.Lex, globals vars) error {
	if p == "" {
		return nil
	}
	v, _, err := lex.ProcessWord(p, globals)
	if err != nil {
		return err
	}
	want, err := manifest.ParsePlatform(v)
	if err != nil {
		return fmt.Errorf("%w: FROM --platform=%s: %v", errdefs.ErrInvalid, v, err)
	}
	host, _ := globals.Get("BUILDPLATFORM")
	if hp, err := manifest.ParsePlatform(host); err == nil && !manifest.Match(hp, want) {
		return fmt.Errorf("%w: FROM --platform=%s: only the host's platform (%s) can be built", errdefs.ErrInvalid, v, host)
	}
	return nil
}

func line(st *instructions.Stage) int {
	if len(st.Location) > 0 {
		return st.Location[0].Start.Line
	}
	return 0
}

// stageRef resolves a FROM / --from value to a stage before stage i: a
// stage name (case-insensitive) or its index.
func (g *graph) stageRef(ref string, before int) (int, bool) {
	if j, ok := g.byName(ref); ok && j < before {
		return j, true
	}
	if j, err := strconv.Atoi(ref); err == nil && j >= 0 && j < before {
		return j, true
	}
	return -1, false
}

func (g *graph) byName(name string) (int, bool) {
	for _, n := range g.nodes {
		if n.stage.Name != "" && strings.EqualFold(n.stage.Name, name) {
			return n.index, true
		}
	}
	return -1, false
}

// commandDeps adds the stages n's COPY --from and RUN --mount from= name.
func (g *graph) commandDeps(df *Dockerfile, n *stageNode, lex *shell.Lex, globals vars) error {
	for _, cmd := range n.stage.Commands {
		var froms []string
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				froms = append(froms, c.From)
			}
		case *instructions.RunCommand:
			for _, m := range instructions.GetMounts(c) {
				if m.From != "" {
					froms = append(froms, m.From)
				}
			}
		}
		for _, f := range froms {
			ref, _, err := lex.ProcessWord(f, globals)
			if err != nil {
				return df.commandError(cmd, err)
			}
			if j, ok := g.stageRef(ref, n.index); ok {
				n.deps[j] = true
			} else if _, named := g.byName(ref); named {
				return df.commandError(cmd, fmt.Errorf("%w: stage %q is not defined before this stage", errdefs.ErrInvalid, ref))
			}
		}
	}
	return nil
}

// needed lists the stages the target needs, in Dockerfile order.
func (g *graph) needed() []int {
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for d := range g.nodes[i].deps {
			visit(d)
		}
	}
	visit(g.target)
	var out []int
	for i := range g.nodes {
		if seen[i] {
			out = append(out, i)
		}
	}
	return out
}
