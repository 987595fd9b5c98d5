package engine

// RegisterHelpers registers the engine's re-executed helpers (the monitor)
// with register (reexec.Register); cmd/onggi's main calls it.
func RegisterHelpers(register func(name string, fn func())) {
	register(monitorName, monitorMain)
}
