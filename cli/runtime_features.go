package cli

import (
	"encoding/json"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/onggi/onggi/runtime/hooks"
	"github.com/onggi/onggi/runtime/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/spf13/cobra"
)

// mountOptions are the config.json mount options onggi's runtime knows,
// the same list runc reports.
var mountOptions = []string{
	"acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
	"lazytime", "loud", "mand", "noacl", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
	"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
	"ratime", "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev",
	"rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
	"rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
	"rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid",
	"symfollow", "sync", "tmpcopyup", "unbindable",
}

func newRuntimeFeaturesCmd(_ *runtimeGlobals) *cobra.Command {
	return &cobra.Command{
		Use:   "features",
		Short: "show the enabled features",
		Args:  needArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "    ")
			return enc.Encode(runtimeFeatures())
		},
	}
}

// runtimeFeatures is runtime-spec's features.md document for onggi.
func runtimeFeatures() *features.Features {
	yes, no := true, false
	var caps []string
	for _, c := range capability.ListKnown() {
		caps = append(caps, "CAP_"+strings.ToUpper(c.String()))
	}
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         hooks.Kinds,
		MountOptions:  mountOptions,
		Linux: &features.Linux{
			Namespaces: []string{
				string(specs.CgroupNamespace), string(specs.IPCNamespace), string(specs.MountNamespace),
				string(specs.NetworkNamespace), string(specs.PIDNamespace), string(specs.TimeNamespace),
				string(specs.UserNamespace), string(specs.UTSNamespace),
			},
			Capabilities: caps,
			// systemd: cgroupsPath in slice:prefix:name form is accepted
			// (onggi writes cgroupfs itself); no systemd user manager.
			Cgroup:   &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &no, Rdma: &no},
			Seccomp:  seccomp.Features(),
			Apparmor: &features.Apparmor{Enabled: &no},
			Selinux:  &features.Selinux{Enabled: &no},
			IntelRdt: &features.IntelRdt{Enabled: &no},
		},
		Annotations: map[string]string{"org.onggi.runtime.version": runtimeVersion},
	}
}
