// Package server is onggi's registry: an http.Handler implementing the OCI
// distribution specification v1.1 (pull, push, content discovery, content
// management, referrers) over a storage.Store, with optional authentication
// and per-repository access rules from package auth.
//
// It must build on every OS and imports only the standard library, x/crypto
// (through auth), go-digest and image-spec, and its own subpackages.
// Nothing in onggi's engine depends on it; `onggi registry serve` wires it.
package server
