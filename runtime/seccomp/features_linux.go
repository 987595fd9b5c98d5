//go:build linux && cgo

package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// actionAPI gives the libseccomp API level (seccomp_api_get(3)) an action
// needs: 3 brought LOG and KILL_PROCESS, 6 NOTIFY. Flags need no
// libseccomp support: Filter.Load passes them to seccomp(2) itself.
var actionAPI = map[specs.LinuxSeccompAction]uint{
	specs.ActKillProcess: 3, specs.ActLog: 3, specs.ActNotify: 6,
}

// Features describes this build's seccomp support for `runtime features`:
// what the code knows (actions, operators, flags) narrowed to what the
// installed libseccomp and the running kernel support.
func Features() *features.Seccomp {
	enabled := true
	api, err := libseccomp.GetAPI()
	if err != nil {
		enabled = false
	}
	fs := &features.Seccomp{Enabled: &enabled, Operators: []string{}, Actions: []string{}}
	for _, a := range knownActions {
		if api >= actionAPI[a] {
			fs.Actions = append(fs.Actions, string(a))
		}
	}
	for _, op := range knownOperators {
		fs.Operators = append(fs.Operators, string(op))
	}
	fs.Archs = supportedArchs()
	for _, fl := range knownFlags {
		fs.KnownFlags = append(fs.KnownFlags, string(fl))
		if kernelHasFlag(flagBits[fl]) {
			fs.SupportedFlags = append(fs.SupportedFlags, string(fl))
		}
	}
	return fs
}

// supportedArchs asks the installed libseccomp which architectures it
// knows (Debian 12's 2.5 lacks LoongArch, M68K and SuperH). It resolves a
// syscall per architecture rather than adding each to one filter, since a
// filter cannot mix big- and little-endian architectures.
func supportedArchs() []string {
	archs := []string{}
	for _, a := range knownArchs {
		if _, err := libseccomp.GetSyscallFromNameByArch("read", scmpArchs[a]); err == nil {
			archs = append(archs, string(a))
		}
	}
	return archs
}
