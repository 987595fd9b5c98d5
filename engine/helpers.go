package engine

import "github.com/onggi/onggi/network/dns"

// RegisterHelpers registers the engine's re-executed helpers (the monitor
// and the per-network DNS responder) with register (reexec.Register);
// cmd/onggi's main calls it.
func RegisterHelpers(register func(name string, fn func())) {
	register(monitorName, monitorMain)
	register(dnsName, dns.Main)
}
