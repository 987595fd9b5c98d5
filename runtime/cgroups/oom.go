package cgroups

import "context"

// OOMNotifier is implemented by the Managers that can watch their cgroup
// for OOM kills; callers find it by type assertion, as runc's "events"
// does not need it from every driver.
type OOMNotifier interface {
	// OOMEvents sends one value per OOM event in the cgroup. The channel
	// is closed when ctx ends, when the cgroup is removed, or when the
	// watch fails; a caller tells these apart by ctx.Err and by looking at
	// the container.
	OOMEvents(ctx context.Context) (<-chan struct{}, error)
}
