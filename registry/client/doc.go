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
// Manifest lists survive round trips. Pull keeps the whole index: the
// index blob, every child manifest and config (small), and the layers of
// the selected platform (of every platform with WithAllPlatforms); the
// image store records the index digest (Image.IndexDigest) and its GC keeps
// the stored children. Push of such an image pushes each child (blobs,
// then the manifest by digest) and then the exact index bytes under each
// tag, so the digest pulled is the digest pushed. A child whose content is
// not stored must already be in the target repository or be mountable
// from the source repository on the same registry (checked with HEAD
// before anything is sent); otherwise push sends the selected platform's
// manifest alone and says so in one line on the warning writer, as docker
// classic does, rather than an index naming missing manifests.
//
// client imports image/ and nothing else from onggi; the CLI (and later the
// engine) wire it.
package client
