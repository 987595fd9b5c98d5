// Package client pulls images from and pushes images to any registry that
// speaks the distribution protocol, keeping layers in onggi's image store.
//
// The protocol (token and Basic auth, chunked uploads, existence checks,
// cross-repository mounts, retries) is go-containerregistry's
// pkg/v1/remote; credentials come from Docker's config.json (auth entries and
// credential helpers) through its authn keychain and docker/cli's config
// package, so `docker login` and `onggi login` share credentials. Content
// goes straight into image.Store's content store, which verifies every digest.
//
// TLS follows Docker: a registry's CA certificates and client key pairs come
// from <certs.d>/<host[:port]>/ (*.crt, *.cert + *.key); --tls-verify=false
// skips verification; loopback registries may speak plain HTTP.
//
// client imports image/ and nothing else from onggi; the CLI (and later the
// engine) wire it.
package client
