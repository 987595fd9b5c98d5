package link

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/errdefs"
)

// EnableForwarding turns on IPv4 forwarding (and IPv6 forwarding when v6)
// in the caller's network namespace, writing only a value that is not
// already 1. This is the one host-wide setting onggi changes, as docker
// does: without it nothing routes between a bridge and the outside. It is
// never turned off again, since other software may rely on it by then.
func EnableForwarding(v6 bool) error {
	if err := ensureSysctl("net.ipv4.ip_forward", "1"); err != nil {
		return err
	}
	if v6 {
		return ensureSysctl("net.ipv6.conf.all.forwarding", "1")
	}
	return nil
}

// SetSysctlInNetNS writes a net.* sysctl inside the netns at netnsPath (for
// a container's --sysctl net.ipv4.ip_forward=1). /proc/sys/net shows the
// namespace of the thread that opens the file, so the write happens on a
// throw-away thread that joined the netns.
func SetSysctlInNetNS(netnsPath, key, value string) error {
	if !strings.HasPrefix(key, "net.") && !strings.HasPrefix(key, "net/") {
		return errdefs.Errorf(errdefs.ErrInvalid, "sysctl %q is not a net.* sysctl", key)
	}
	return inNetNS(netnsPath, func() error { return writeSysctl(key, value) })
}

// sysctlPath maps "net.ipv4.conf.eth0.rp_filter" (or the slash form) to its
// /proc/sys file, refusing anything that could leave /proc/sys/net.
func sysctlPath(key string) (string, error) {
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	for _, el := range strings.Split(rel, "/") {
		if el == "" || el == "." || el == ".." {
			return "", errdefs.Errorf(errdefs.ErrInvalid, "invalid sysctl %q", key)
		}
	}
	return filepath.Join("/proc/sys", rel), nil
}

// writeSysctl writes value to key in the calling thread's namespace.
func writeSysctl(key, value string) error {
	p, err := sysctlPath(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		return classify(err, "setting sysctl %s=%s", key, value)
	}
	return nil
}

// ensureSysctl writes value only when it differs, so an already-configured
// host sees no write at all.
func ensureSysctl(key, value string) error {
	p, err := sysctlPath(key)
	if err != nil {
		return err
	}
	cur, err := os.ReadFile(p)
	if err != nil {
		return classify(err, "reading sysctl %s", key)
	}
	if string(bytes.TrimSpace(cur)) == value {
		return nil
	}
	return writeSysctl(key, value)
}
