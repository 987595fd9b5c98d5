// Package monitor supervises running containers. One monitor process per
// runroot (re-executed from onggi, in its own session) holds every running
// container's init, its stdio pipes or pty master, writes its json-file log
// (rotated), records exits, applies the restart back-off, runs health
// checks, and streams stdio to attached clients over a unix socket. Sharing
// one process among containers is what keeps idle memory per container below
// conmon's (docs/architecture.md, "Supervision").
//
// The mechanics live here; the policy (what a record says, whether to
// restart, what --rm removes) comes from the engine through Hooks, so this
// package imports no engine code. It must not import engine, cli, api or
// compose.
package monitor
