// Package builder turns a Dockerfile and a build context into an image in
// onggi's image store: `onggi build`.
//
// It parses with BuildKit's Dockerfile parser and instructions package, so
// line continuations, the escape directive, `# syntax=` and heredocs read
// exactly as Docker's do; it resolves the stage graph (only the stages the
// target needs, independent stages in parallel, bounded by GOMAXPROCS);
// it scopes ARG and ENV as Docker does; and it executes each instruction
// against a state made of an image config and a stack of layers.
//
// RUN steps are containers run by onggi's own runtime in this process
// (runtime/driver), with the spec container/spec generates for `onggi
// run` (Docker's default capabilities, seccomp profile and masked paths).
// Each step that changes the filesystem becomes a layer: the snapshot's
// diff is written to the content store uncompressed, because build layers
// stay local until pushed and compressing costs the build's critical path
// more CPU than anything else it does (the registry client compresses on
// push if it wants to); metadata-only steps become empty_layer history
// entries, shaped like BuildKit's ("RUN /bin/sh -c … # buildkit").
//
// The cache (cache.go) maps a key — the parent state's key, the
// instruction after expansion, the build args it sees, and the content
// checksums of the files it copies (content and modes, never mtimes) — to
// the resulting state, one small JSON file per key under
// <root>/builder/cache. An unchanged rebuild is resolved from these files
// alone: nothing is mounted or run.
//
// Multi-stage builds keep each stage's result as an untagged image the
// cache lists (Builder.Holds), so an image GC does not collect the layers
// the cache points at; `builder prune` removes them with the index and the
// cache mounts (<root>/builder/cache-mounts).
//
// A step's snapshot, mount and bundle (<runroot>/builder/<build>-<step>)
// are removed when the step ends, success or not, and a build holds an
// flock on <runroot>/builder/<build>.lock while it runs: the next build
// sweeps whatever a killed one (kill -9) left — its step container, its
// mounts, its snapshots. Mountpoints the runtime had to create in the
// rootfs for /etc/hosts, /proc, a secret or a cache mount are removed
// again, and the directories above them get their mtimes back and are
// left out of the layer, so they never show up in an image.
//
// Network of RUN steps: `--network=none` gives a private network namespace
// with loopback only. The default is the host's network namespace, as
// BuildKit's OCI worker does when no CNI network is configured: a
// daemonless builder has no bridge of its own to attach build containers
// to, the steps that need the network (package installs) must reach it
// without onggi's networking being set up, and every other namespace,
// the capability set and the seccomp profile still isolate the step.
//
// The package must not import engine, cli, api or compose; the engine
// wires it (engine/build.go).
package builder
