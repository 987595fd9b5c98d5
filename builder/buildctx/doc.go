// Package buildctx loads a build context — a directory, or a tar (plain,
// gzip, bzip2, xz or zstd) read from stdin and unpacked safely into a
// scratch directory — finds its Dockerfile, and answers whether a path is
// excluded by the context's .dockerignore with docker's exact semantics
// (github.com/moby/patternmatcher, `!` exceptions, parent-directory
// matches).
//
// Typical use by the builder:
//
//	bc, err := buildctx.FromDir(dir)        // or FromTar(os.Stdin, scratch)
//	defer bc.Close()
//	df, name, err := bc.Dockerfile(opts.File) // "" = Dockerfile / dockerfile
//	src := bc.CopySource()                  // fscopy.Source for COPY/ADD
//
// The Dockerfile and .dockerignore are always readable through Dockerfile
// even when .dockerignore lists them (docker sends them to the daemon
// anyway), but COPY does not see them then, as in docker.
//
// buildctx imports builder/fscopy (for the Source type), image/layer (safe
// tar extraction) and errdefs; nothing of the engine, runtime or CLI.
package buildctx
