package builder

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image/manifest"
	"github.com/onggi/onggi/image/reference"
	digest "github.com/opencontainers/go-digest"
)

// stageRun executes one stage.
type stageRun struct {
	bd    *build
	node  *stageNode
	st    *state
	scope stageScope
	// step and total number the stage's vertices ("[build 2/4]"); only
	// FROM and filesystem steps are vertices, as in BuildKit.
	step, total int
	// cmdSet: this stage set CMD (an ENTRYPOINT after it keeps it).
	cmdSet bool
}

func (r *stageRun) run(ctx context.Context) (*state, error) {
	triggers, err := r.from(ctx)
	if err != nil {
		return nil, err
	}
	for _, cmd := range triggers {
		if err := r.dispatch(ctx, cmd); err != nil {
			return nil, err
		}
	}
	for _, cmd := range r.node.stage.Commands {
		if err := r.dispatch(ctx, cmd); err != nil {
			return nil, err
		}
	}
	return r.st, nil
}

// from sets the stage's base state and returns the base image's ONBUILD
// triggers, parsed, to run before the stage's own instructions.
func (r *stageRun) from(ctx context.Context) ([]instructions.Command, error) {
	n := r.node
	var fromErr error
	switch {
	case n.baseStage >= 0:
		r.st = r.bd.stageState(n.baseStage)
	case n.base == "scratch":
		r.st = scratchState(r.bd.platform)
	default:
		r.st, fromErr = r.bd.imageState(ctx, n.base)
	}
	var triggers []instructions.Command
	if fromErr == nil {
		for _, t := range r.st.img.Config.OnBuild {
			cmd, err := parseTrigger(t)
			if err != nil {
				return nil, r.bd.df.errorAt(line(n.stage), err)
			}
			triggers = append(triggers, cmd)
		}
	}
	r.total = 1 + countVertices(n.stage.Commands) + countVertices(triggers)
	if n.baseStage < 0 && n.base != "scratch" {
		v := r.bd.vertex(n.name, r.vertexName("FROM "+normalizedRef(n.base)))
		if fromErr != nil {
			v.end(EventError, fromErr)
			return nil, &StepError{File: r.bd.df.Name, Line: line(n.stage), Instruction: n.stage.SourceCode, Err: fromErr}
		}
		v.end(EventDone, nil)
	} else {
		r.step++
	}
	if len(triggers) > 0 {
		// The triggers run here and are not inherited by this image.
		st := r.st.clone()
		st.img.Config.OnBuild = nil
		st.key = digest.FromString(r.st.key.String() + "\x00onbuild-consumed")
		r.st = st
	}
	r.refresh()
	return triggers, nil
}

// normalizedRef is a reference as BuildKit prints it
// (docker.io/library/busybox:latest).
func normalizedRef(ref string) string {
	if r, err := reference.Parse(ref); err == nil {
		return r.String()
	}
	return ref
}

// imageState is the state of a stored image (FROM, COPY --from=image).
// --pull is accepted but without a registry in reach the store is the only
// source, as with `docker build` offline.
func (bd *build) imageState(ctx context.Context, ref string) (*state, error) {
	img, err := bd.b.store.Get(ctx, ref)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil, fmt.Errorf("failed to resolve source metadata for %s: %w (pull it or `onggi image bootstrap` it first)", ref, err)
		}
		return nil, err
	}
	cfg, err := parseImageConfig(img.ConfigJSON)
	if err != nil {
		return nil, fmt.Errorf("image %s: reading config: %w", ref, err)
	}
	docker := img.Manifest.MediaType == manifest.MediaTypeDockerManifest
	return &state{img: cfg, layers: img.Manifest.Layers, docker: docker, imageID: img.ID,
		key: digest.FromString("image " + img.ID.String())}, nil
}

func countVertices(cmds []instructions.Command) int {
	n := 0
	for _, c := range cmds {
		switch c.(type) {
		case *instructions.RunCommand, *instructions.CopyCommand, *instructions.AddCommand, *instructions.WorkdirCommand:
			n++
		}
	}
	return n
}

// vertexName is "[stage k/n] TEXT", or "[k/n] TEXT" in a one-stage
// Dockerfile, as BuildKit names steps.
func (r *stageRun) vertexName(text string) string {
	r.step++
	pos := strconv.Itoa(r.step) + "/" + strconv.Itoa(max(r.total, r.step))
	if len(r.bd.g.nodes) == 1 {
		return "[" + pos + "] " + text
	}
	return "[" + r.node.name + " " + pos + "] " + text
}

// refresh re-reads the scope's env from the state's config.
func (r *stageRun) refresh() { r.scope.env = envVars(r.st.img.Config.Env) }

// stepKey derives a step's cache key from its parent's and its parts.
func stepKey(parent digest.Digest, parts ...string) digest.Digest {
	d := digest.SHA256.Digester()
	h := d.Hash()
	h.Write([]byte(parent.String()))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return d.Digest()
}

// cached resolves the step key from the cache, or runs exec and records
// its result. v (nil for metadata steps) reports the step.
func (r *stageRun) cached(key digest.Digest, v *vertex, exec func() (*state, error)) error {
	if !r.bd.o.NoCache {
		if st, ok := r.bd.b.cache.get(key, r.bd.b.store.Content()); ok {
			r.st = st
			r.refresh()
			if v != nil {
				v.end(EventCached, nil)
			}
			return nil
		}
	}
	st, err := exec()
	if err != nil {
		if v != nil {
			v.end(EventError, err)
		}
		return err
	}
	st.key = key
	if err := r.bd.b.cache.put(st); err != nil {
		err = fmt.Errorf("recording build cache: %w", err)
		if v != nil {
			v.end(EventError, err)
		}
		return err
	}
	r.st = st
	r.refresh()
	if v != nil {
		v.end(EventDone, nil)
	}
	return nil
}

// expand is the word expander of the stage's current scope.
func (r *stageRun) expand(word string) (string, error) {
	v, _, err := r.bd.lex.ProcessWord(word, r.scope.expandEnv())
	return v, err
}

// dispatch runs one instruction.
func (r *stageRun) dispatch(ctx context.Context, cmd instructions.Command) error {
	if e, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if err := e.Expand(r.expand); err != nil {
			return r.bd.df.commandError(cmd, err)
		}
	}
	if e, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := e.ExpandRaw(r.expandRaw); err != nil {
			return r.bd.df.commandError(cmd, err)
		}
	}
	var err error
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		err = r.dispatchRun(ctx, c)
	case *instructions.CopyCommand:
		err = r.dispatchCopy(ctx, c)
	case *instructions.AddCommand:
		err = r.dispatchAdd(ctx, c)
	case *instructions.WorkdirCommand:
		err = r.dispatchWorkdir(ctx, c)
	case *instructions.ArgCommand:
		err = r.dispatchArg(c)
	default:
		err = r.dispatchMeta(cmd)
	}
	var pe *ParseError
	var se *StepError
	switch {
	case err == nil, errors.As(err, &pe), errors.As(err, &se), ctx.Err() != nil:
		return err
	}
	return r.bd.df.stepError(cmd, err)
}

// expandRaw expands heredoc contents: quotes and escapes are kept, as
// BuildKit does for `COPY <<EOF` bodies.
func (r *stageRun) expandRaw(word string) (string, error) {
	lex := *r.bd.lex
	lex.RawQuotes, lex.RawEscapes = true, true
	v, _, err := lex.ProcessWord(word, r.scope.expandEnv())
	return v, err
}

// fsVertex starts a filesystem step's vertex.
func (r *stageRun) fsVertex(text string) *vertex {
	return r.bd.vertex(r.node.name, r.vertexName(text))
}
