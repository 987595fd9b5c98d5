package builder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image/manifest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// build is one Build call.
type build struct {
	b        *Builder
	o        BuildOptions
	df       *Dockerfile
	lex      *shell.Lex
	platform ocispec.Platform
	auto     map[string]string
	globals  vars
	g        *graph
	id       string // random, names snapshots and bundles of this build

	results  []*stageResult
	vertices atomic.Int32
	usedMu   sync.Mutex
	usedArgs map[string]bool
}

// stageResult is a stage's final state, once done is closed.
type stageResult struct {
	done chan struct{}
	st   *state
	err  error
}

// Build builds the Dockerfile of o and stores the result, named o.Tags.
func (b *Builder) Build(ctx context.Context, o BuildOptions) (*Result, error) {
	df, err := Parse(o.DockerfileName, o.Dockerfile)
	if err != nil {
		return nil, err
	}
	bd, err := b.newBuild(df, o)
	if err != nil {
		return nil, err
	}
	// One lease for the whole build: no image GC may collect the layers
	// of finished steps (or of cache hits) before the image naming them
	// is stored.
	lease, err := b.store.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	release, err := bd.claim(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := bd.run(ctx)
	if err != nil {
		return nil, err
	}
	img, err := bd.finish(ctx, st)
	if err != nil {
		return nil, err
	}
	warnings := append(df.Warnings, bd.unusedArgs()...)
	for _, w := range warnings {
		bd.emit(Event{Kind: EventWarning, Data: []byte(w)})
	}
	return &Result{Image: img, Warnings: warnings}, nil
}

func (b *Builder) newBuild(df *Dockerfile, o BuildOptions) (*build, error) {
	p := b.store.Platform()
	if o.Platform != "" {
		want, err := manifest.ParsePlatform(o.Platform)
		if err != nil {
			return nil, fmt.Errorf("--platform %q: %w", o.Platform, errdefs.ErrInvalid)
		}
		if !manifest.Match(p, want) {
			return nil, fmt.Errorf("%w: --platform %s: only the host's platform (%s) can be built", errdefs.ErrInvalid, o.Platform, manifest.FormatPlatform(p))
		}
	}
	switch o.Network {
	case "", "default", "host", "none":
	default:
		return nil, fmt.Errorf("%w: network mode %q is not supported by the builder (default, host, none)", errdefs.ErrInvalid, o.Network)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	bd := &build{b: b, o: o, df: df, lex: shell.NewLex(df.Escape), platform: p, auto: platformArgs(p),
		id: hex.EncodeToString(rnd[:]), usedArgs: map[string]bool{}}
	var err error
	if bd.globals, err = globalScope(bd.lex, df.MetaArgs, o.BuildArgs, bd.auto); err != nil {
		return nil, fmt.Errorf("%s: global ARG: %w", df.Name, err)
	}
	for _, m := range df.MetaArgs {
		for _, a := range m.Args {
			bd.markUsed(a.Key)
		}
	}
	if bd.g, err = buildGraph(df, bd.lex, bd.globals, o.Target); err != nil {
		return nil, err
	}
	return bd, nil
}

// run builds the stages the target needs, each in its own goroutine once
// its dependencies are done, at most GOMAXPROCS at a time; the first
// failure cancels the others.
func (bd *build) run(ctx context.Context) (*state, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	bd.results = make([]*stageResult, len(bd.g.nodes))
	for i := range bd.results {
		bd.results[i] = &stageResult{done: make(chan struct{})}
	}
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for _, i := range bd.g.needed() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := bd.results[i]
			defer close(r.done)
			r.st, r.err = bd.runStage(ctx, bd.g.nodes[i], sem)
			if r.err != nil {
				cancel(r.err)
			}
		}()
	}
	wg.Wait()
	// Report the failure that caused the cancellation, not the
	// "context canceled" of the stages it stopped.
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	for _, i := range bd.g.needed() {
		if err := bd.results[i].err; err != nil {
			return nil, err
		}
	}
	return bd.results[bd.g.target].st, nil
}

// runStage waits for n's dependencies (holding no slot, so waiting never
// starves a dependency of one), then builds n.
func (bd *build) runStage(ctx context.Context, n *stageNode, sem chan struct{}) (*state, error) {
	deps := make([]int, 0, len(n.deps))
	for d := range n.deps {
		deps = append(deps, d)
	}
	sort.Ints(deps)
	for _, d := range deps {
		select {
		case <-bd.results[d].done:
			if bd.results[d].err != nil {
				return nil, bd.results[d].err
			}
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	sr := &stageRun{bd: bd, node: n}
	return sr.run(ctx)
}

// stageState is the result of an earlier stage (which must be done).
func (bd *build) stageState(i int) *state { return bd.results[i].st }

func (bd *build) markUsed(k string) {
	bd.usedMu.Lock()
	bd.usedArgs[k] = true
	bd.usedMu.Unlock()
}

// unusedArgs is Docker's warning for --build-arg values no ARG consumed.
func (bd *build) unusedArgs() []string {
	var unused []string
	for k := range bd.o.BuildArgs {
		if !bd.usedArgs[k] && !isProxyArg(k) && bd.auto[k] == "" {
			unused = append(unused, k)
		}
	}
	if len(unused) == 0 {
		return nil
	}
	sort.Strings(unused)
	return []string{fmt.Sprintf("[Warning] One or more build-args %v were not consumed", unused)}
}

// emit sends ev to the progress callback.
func (bd *build) emit(ev Event) {
	if bd.o.Progress == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	bd.o.Progress(ev)
}

// vertex starts a numbered step and returns the function that ends it.
func (bd *build) vertex(stage, name string) *vertex {
	v := &vertex{bd: bd, n: int(bd.vertices.Add(1)), stage: stage, name: name, start: time.Now()}
	bd.emit(Event{Kind: EventStart, Vertex: v.n, Name: name, Stage: stage, Time: v.start})
	return v
}

// vertex is a step being reported.
type vertex struct {
	bd          *build
	n           int
	stage, name string
	start       time.Time
}

// Write sends step output as Log events (RUN's stdout and stderr).
func (v *vertex) Write(p []byte) (int, error) {
	v.bd.emit(Event{Kind: EventLog, Vertex: v.n, Name: v.name, Stage: v.stage, Data: append([]byte(nil), p...)})
	return len(p), nil
}

func (v *vertex) end(kind EventKind, err error) {
	v.bd.emit(Event{Kind: kind, Vertex: v.n, Name: v.name, Stage: v.stage, Elapsed: time.Since(v.start), Err: err})
}
