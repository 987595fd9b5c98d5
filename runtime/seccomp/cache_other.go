//go:build !linux

package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Cache is unsupported off Linux; Compile behaves as the package's Compile.
type Cache struct{}

// NewCache returns a cache that caches nothing.
func NewCache(string) *Cache { return &Cache{} }

// Compile compiles cfg (not supported off Linux).
func (c *Cache) Compile(cfg *specs.LinuxSeccomp) (*Filter, error) { return Compile(cfg) }
