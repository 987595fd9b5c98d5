// Package ipam hands out the addresses of onggi's networks. Each
// network's allocations live in <dir>/<netID>.json, rewritten atomically
// under a flock of <dir>/<netID>.lock, so parallel onggi processes never
// hand out one address twice and a crash at any point leaves either the
// old or the new allocation table.
//
// It imports only errdefs: the engine decides which pool of a network an
// endpoint draws from and records the result.
package ipam
