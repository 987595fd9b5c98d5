package engine

import "github.com/onggi/onggi/registry/client"

// Registry returns a registry client that pulls into and pushes from this
// engine's image store. The engine is where the two are wired together:
// neither registry/client nor cli/ opens an image store of its own.
func (e *Engine) Registry(opts ...client.Option) *client.Client {
	return client.New(e.images, opts...)
}
