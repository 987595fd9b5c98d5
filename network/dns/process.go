package dns

import "time"

// HelperName is argv[0] of the re-executed responder; the engine registers
// Main under it (reexec.Register).
const HelperName = "onggi-dns"

const (
	// idleExit is how long a responder outlives its last name: long enough
	// that a container restart (names removed, then written back) keeps it.
	idleExit = 2 * time.Second
	// readyTimeout bounds Ensure's wait for a new responder to listen.
	readyTimeout = 10 * time.Second
	// stopTimeout bounds Stop's wait after SIGTERM before SIGKILL.
	stopTimeout = 5 * time.Second
	// hostResolvConf is where the responder finds its upstreams.
	hostResolvConf = "/etc/resolv.conf"
)
