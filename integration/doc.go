// Package integration holds onggi's end-to-end tests: they build the onggi
// binary once and drive it as a user, a shim or another engine would, each
// test with its own temporary state roots. It has no code outside tests.
package integration
