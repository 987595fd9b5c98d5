package spec

import (
	"slices"
	"strings"

	"github.com/moby/sys/capability"
)

// defaultCaps is docker's default capability set (moby oci/caps/defaults.go):
// enough for a typical service running as root, without the ones that
// reach beyond the container (SYS_ADMIN, NET_ADMIN, SYS_MODULE, ...).
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

const allCaps = "ALL"

// capabilities applies --privileged, --cap-add and --cap-drop to docker's
// default set as dockerd does: privileged gets every capability this kernel
// has; "ALL" in --cap-add means all but the dropped ones; "ALL" in
// --cap-drop means only the added ones.
func capabilities(add, drop []string, privileged bool) ([]string, error) {
	if privileged {
		return supportedCaps(), nil
	}
	capAdd, err := normalizeCaps(add)
	if err != nil {
		return nil, err
	}
	capDrop, err := normalizeCaps(drop)
	if err != nil {
		return nil, err
	}
	var out []string
	switch {
	case slices.Contains(capAdd, allCaps):
		for _, c := range supportedCaps() {
			if !slices.Contains(capDrop, c) {
				out = append(out, c)
			}
		}
	case slices.Contains(capDrop, allCaps):
		out = append(out, capAdd...)
	default:
		for _, c := range defaultCaps {
			if !slices.Contains(capDrop, c) {
				out = append(out, c)
			}
		}
		for _, c := range capAdd {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// normalizeCaps uppercases names and adds the CAP_ prefix ("net_admin",
// "CAP_NET_ADMIN" and "Net_Admin" are the same); unknown names are
// docker's `unknown capability: "CAP_FOO"`.
func normalizeCaps(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		c := strings.ToUpper(strings.TrimSpace(n))
		if c == allCaps {
			out = append(out, allCaps)
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !knownCap(c) {
			return nil, invalidf("unknown capability: %q", c)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func knownCap(name string) bool {
	for _, c := range capability.ListKnown() {
		if capName(c) == name {
			return true
		}
	}
	return false
}

// supportedCaps lists the capabilities a privileged container can get:
// those of the running kernel that are also in this process's bounding
// set. Some hosts withhold capabilities even from root (this one lacks
// CAP_SYS_RESOURCE); naming one would make capset fail and no privileged
// container could start.
func supportedCaps() []string {
	list, err := capability.ListSupported()
	if err != nil {
		list = capability.ListKnown()
	}
	self, err := capability.NewPid2(0)
	if err == nil {
		err = self.Load()
	}
	out := make([]string, 0, len(list))
	for _, c := range list {
		if err == nil && !self.Get(capability.BOUNDING, c) {
			continue
		}
		out = append(out, capName(c))
	}
	return out
}

func capName(c capability.Cap) string { return "CAP_" + strings.ToUpper(c.String()) }
