// Package auth decides who may pull and push what in onggi's registry: users
// from an htpasswd file (bcrypt only), groups and per-repository rules from a
// small JSON config, and the Docker token flow (a token endpoint issuing
// short-lived tokens that the registry then accepts as Bearer credentials).
//
// Tokens are JWTs signed with HMAC-SHA256. The registry and its token
// endpoint are the same process (or processes sharing a key file), so a
// shared secret is enough; asymmetric signatures (Docker Hub's RS256, or
// ed25519) pay off only when a separate auth service must be verified by
// registries that cannot hold its secret. HMAC also keeps verification on
// every request cheap. Clients treat the token as opaque.
//
// This package imports only the standard library and golang.org/x/crypto.
package auth
