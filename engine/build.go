package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/onggi/onggi/builder"
	"github.com/onggi/onggi/builder/buildctx"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image"
	digest "github.com/opencontainers/go-digest"
)

// BuildOptions are `onggi build`'s options (docker's flags).
type BuildOptions struct {
	// ContextDir is the context directory; with Stdin set and ContextDir
	// "-", stdin holds a tar context (or, when it is not an archive, the
	// Dockerfile itself and no context, as `docker build - < Dockerfile`).
	ContextDir string
	Stdin      io.Reader
	// Dockerfile is -f: "" (Dockerfile in the context), a path, or "-"
	// (read from Stdin).
	Dockerfile string
	Tags       []string
	BuildArgs  map[string]string
	Target     string
	Labels     map[string]string
	NoCache    bool
	Pull       bool
	Platform   string
	Secrets    map[string]string
	// Network is --network for RUN steps ("", host, none).
	Network string
	// Output is --output: "" (an image only), or type local/tar with Dest
	// ("-" for tar: stdout, written to Stdout).
	Output BuildOutput
	Stdout io.Writer
	// Progress receives the build's events.
	Progress func(builder.Event)
}

// BuildOutput is one --output.
type BuildOutput struct {
	Type string // "local" or "tar"
	Dest string
}

// builder is the engine's builder, made on first use.
func (e *Engine) builder() (*builder.Builder, error) {
	d, err := e.driverFor("", filepath.Join(e.runroot, "runtime"))
	if err != nil {
		return nil, err
	}
	return builder.New(e.images, filepath.Join(e.root, "builder"), filepath.Join(e.runroot, "builder"), builder.WithDriver(d))
}

// Build builds an image from a Dockerfile and its context.
func (e *Engine) Build(ctx context.Context, o BuildOptions) (*image.Image, error) {
	b, err := e.builder()
	if err != nil {
		return nil, err
	}
	bo := builder.BuildOptions{Tags: o.Tags, BuildArgs: o.BuildArgs, Target: o.Target, Labels: o.Labels,
		NoCache: o.NoCache, Platform: o.Platform, Secrets: o.Secrets, Network: o.Network, Progress: o.Progress}
	bc, err := e.buildContext(o, &bo)
	if err != nil {
		return nil, err
	}
	if bc != nil {
		defer bc.Close()
	}
	res, err := b.Build(ctx, bo)
	if err != nil {
		return nil, err
	}
	if o.Output.Type != "" {
		if err := e.exportBuild(ctx, res.Image, o.Output, o.Stdout); err != nil {
			return nil, err
		}
	}
	return res.Image, nil
}

// buildContext opens the context and reads the Dockerfile into bo.
func (e *Engine) buildContext(o BuildOptions, bo *builder.BuildOptions) (*buildctx.Context, error) {
	var bc *buildctx.Context
	var err error
	stdinUsed := false
	if o.ContextDir == "-" {
		if o.Dockerfile == "-" {
			return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid argument: can't use stdin for both build context and dockerfile")
		}
		br := bufio.NewReaderSize(o.Stdin, 64<<10)
		if !isArchive(br) {
			data, err := io.ReadAll(br)
			if err != nil {
				return nil, fmt.Errorf("reading Dockerfile from stdin: %w", err)
			}
			bo.Dockerfile, bo.DockerfileName = data, buildctx.DefaultDockerfile
			return nil, nil
		}
		stdinUsed = true
		bc, err = buildctx.FromTar(br, filepath.Join(e.runroot, "builder", "contexts"))
	} else {
		bc, err = buildctx.FromDir(o.ContextDir)
	}
	if err != nil {
		return nil, err
	}
	bo.Context = bc.CopySource()
	if o.Dockerfile == "-" && !stdinUsed {
		data, err := io.ReadAll(o.Stdin)
		if err != nil {
			bc.Close()
			return nil, fmt.Errorf("reading Dockerfile from stdin: %w", err)
		}
		bo.Dockerfile, bo.DockerfileName = data, buildctx.DefaultDockerfile
		return bc, nil
	}
	if bo.Dockerfile, bo.DockerfileName, err = bc.Dockerfile(o.Dockerfile); err != nil {
		bc.Close()
		return nil, err
	}
	return bc, nil
}

// isArchive tells a tar (plain or compressed) from a Dockerfile on stdin,
// as docker's CLI does: by magic numbers.
func isArchive(br *bufio.Reader) bool {
	head, _ := br.Peek(512)
	for _, magic := range [][]byte{{0x1f, 0x8b}, []byte("BZh"), {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

// BuildCachePruneReport is `builder prune`'s result.
type BuildCachePruneReport struct {
	SpaceReclaimed int64
}

// PruneBuildCache removes the build cache: its index, cache mounts and
// the stage images it held, then collects the blobs nothing uses. all is
// accepted for docker's -a (onggi's cache has no "in use" entries to
// keep).
func (e *Engine) PruneBuildCache(ctx context.Context, all bool) (BuildCachePruneReport, error) {
	b, err := e.builder()
	if err != nil {
		return BuildCachePruneReport{}, err
	}
	n, err := b.Prune(ctx)
	if err != nil {
		return BuildCachePruneReport{}, err
	}
	gc, err := e.images.GC(ctx)
	if err != nil {
		return BuildCachePruneReport{}, err
	}
	return BuildCachePruneReport{SpaceReclaimed: n + gc.Bytes}, nil
}

// buildCacheHolds reports whether image id is a stage result the build
// cache keeps. engine.go's image-in-use hook should OR it in, so `image
// prune` leaves those images to `builder prune` (docker keeps its build
// cache out of `image prune` too); not wired yet (engine.go is not the
// builder's file).
func (e *Engine) buildCacheHolds(id digest.Digest) bool {
	return builder.HoldsImage(filepath.Join(e.root, "builder"), id)
}
