// Package hooks runs OCI lifecycle hooks (runtime-spec config.md "POSIX-platform
// Hooks"): prestart, createRuntime, createContainer, startContainer, poststart
// and poststop. Each hook is a host binary run with its own argv and
// environment and the container's state JSON on stdin.
//
// It knows nothing of containers beyond specs.State and imports no other
// onggi package. Callers decide in which namespace and at which lifecycle
// point a kind runs; this package only runs the list it is given.
package hooks
