package engine

import (
	"os/exec"
	"strconv"

	"github.com/docker/go-units"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
)

// Log defaults: onggi rotates json-file logs by default (docker does not),
// so a chatty container cannot fill the disk.
const (
	defaultLogMaxSize  = "10m"
	defaultLogMaxFiles = "3"
	minMemory          = 6 * 1024 * 1024 // docker's minimum memory limit
)

// validateHostConfig checks and defaults c.HostConfig as docker's create
// does, sets c.Runtime, and returns docker's warnings. The network mode is
// validateNetworking's (network_mode.go).
func (e *Engine) validateHostConfig(c *container.Container) ([]string, error) {
	hc := c.HostConfig
	var warnings []string
	if err := validateLogConfig(&hc.LogConfig); err != nil {
		return nil, err
	}
	if err := validateRestart(hc); err != nil {
		return nil, err
	}
	if err := validateResources(&hc.Resources); err != nil {
		return nil, err
	}
	rt, err := resolveRuntime(hc)
	if err != nil {
		return nil, err
	}
	c.Runtime = rt
	return warnings, nil
}

func validateRestart(hc *ctypes.HostConfig) error {
	if hc.RestartPolicy.Name == "" {
		hc.RestartPolicy.Name = ctypes.RestartPolicyDisabled
	}
	if err := ctypes.ValidateRestartPolicy(hc.RestartPolicy); err != nil {
		return classed(errdefs.ErrInvalid, "%s", err.Error())
	}
	if hc.AutoRemove && !hc.RestartPolicy.IsNone() {
		return classed(errdefs.ErrInvalid, "conflicting options: cannot specify both --restart and --rm")
	}
	return nil
}

// jsonFileOpts are the --log-opt keys json-file accepts.
var jsonFileOpts = map[string]bool{
	"max-size": true, "max-file": true, "compress": true, "labels": true,
	"labels-regex": true, "env": true, "env-regex": true, "tag": true,
}

func validateLogConfig(lc *ctypes.LogConfig) error {
	switch lc.Type {
	case "", "json-file":
		lc.Type = "json-file"
	case "none":
		return nil
	default:
		return classed(errdefs.ErrInvalid, "logger: no log driver named '%s' is registered (onggi has json-file and none)", lc.Type)
	}
	if lc.Config == nil {
		lc.Config = map[string]string{}
	}
	for k := range lc.Config {
		if !jsonFileOpts[k] {
			return classed(errdefs.ErrInvalid, "unknown log opt '%s' for json-file log driver", k)
		}
	}
	if _, ok := lc.Config["max-size"]; !ok {
		lc.Config["max-size"] = defaultLogMaxSize
	}
	if _, ok := lc.Config["max-file"]; !ok {
		lc.Config["max-file"] = defaultLogMaxFiles
	}
	_, _, err := logLimits(lc)
	return err
}

// logLimits parses json-file's max-size and max-file.
func logLimits(lc *ctypes.LogConfig) (int64, int, error) {
	var size int64 = -1
	if v := lc.Config["max-size"]; v != "" {
		n, err := units.RAMInBytes(v)
		if err != nil || n < 0 {
			return 0, 0, classed(errdefs.ErrInvalid, "invalid max-size %q", v)
		}
		size = n
	}
	files := 1
	if v := lc.Config["max-file"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, classed(errdefs.ErrInvalid, "invalid value for max-file: %q (must be at least 1)", v)
		}
		files = n
	}
	if size <= 0 {
		// docker: max-file only applies with max-size.
		return 0, 1, nil
	}
	return size, files, nil
}

func validateResources(r *ctypes.Resources) error {
	if r.Memory > 0 && r.Memory < minMemory {
		return classed(errdefs.ErrInvalid, "Minimum memory limit allowed is 6MB")
	}
	if r.MemorySwap > 0 && r.Memory == 0 {
		return classed(errdefs.ErrInvalid, "You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return classed(errdefs.ErrInvalid, "Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if r.NanoCPUs < 0 || r.CPUShares < 0 {
		return classed(errdefs.ErrInvalid, "invalid CPU limit")
	}
	return nil
}

// resolveRuntime maps --runtime to the record's Runtime: onggi's own, or
// the absolute path of a runc-compatible binary found now (so a later PATH
// change cannot swap it).
func resolveRuntime(hc *ctypes.HostConfig) (string, error) {
	if hc.Runtime == "" || hc.Runtime == defaultRuntime {
		return defaultRuntime, nil
	}
	if hc.Init != nil && *hc.Init {
		// onggi's init is onggi's own binary run by onggi's runtime; an
		// external runtime would need an init binary inside the image.
		return "", classed(errdefs.ErrInvalid, "--init needs onggi's own runtime (it cannot be combined with --runtime %s)", hc.Runtime)
	}
	p, err := exec.LookPath(hc.Runtime)
	if err != nil {
		return "", classed(errdefs.ErrInvalid, "unknown or invalid runtime name: %s", hc.Runtime)
	}
	return p, nil
}
