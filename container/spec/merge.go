package spec

import (
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// merge fills cfg from img the way dockerd's create does (daemon/merge.go):
// the user's values win, maps are unions, Env is merged by key.
func merge(cfg *ctypes.Config, img dockerspec.DockerOCIImageConfig) error {
	if cfg.User == "" {
		cfg.User = img.User
	}
	if err := mergePorts(cfg, img.ExposedPorts); err != nil {
		return err
	}
	cfg.Env = mergeEnv(cfg.Env, img.Env)
	if len(img.Labels) > 0 && cfg.Labels == nil {
		cfg.Labels = make(map[string]string, len(img.Labels))
	}
	for k, v := range img.Labels {
		if _, ok := cfg.Labels[k]; !ok {
			cfg.Labels[k] = v
		}
	}
	mergeCommand(cfg, img)
	cfg.Healthcheck = mergeHealthcheck(cfg.Healthcheck, img.Healthcheck)
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = img.WorkingDir
	}
	if len(img.Volumes) > 0 && cfg.Volumes == nil {
		cfg.Volumes = make(map[string]struct{}, len(img.Volumes))
	}
	for k := range img.Volumes {
		cfg.Volumes[k] = struct{}{}
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = img.StopSignal
	}
	if len(cfg.OnBuild) == 0 {
		cfg.OnBuild = img.OnBuild
	}
	if len(cfg.Shell) == 0 {
		cfg.Shell = img.Shell
	}
	if len(Command(cfg)) == 0 {
		return invalidf("no command specified")
	}
	return nil
}

// mergeCommand applies docker's rule: a user entrypoint (even an empty one,
// `--entrypoint ""`) replaces the image's and drops the image's Cmd unless
// the user gave one too; without one, the image's entrypoint stays and the
// image's Cmd fills an empty user Cmd.
func mergeCommand(cfg *ctypes.Config, img dockerspec.DockerOCIImageConfig) {
	if len(cfg.Entrypoint) == 1 && cfg.Entrypoint[0] == "" {
		// docker's client sends [""] for `--entrypoint ""`: a reset, not
		// an argv whose program is the empty string.
		cfg.Entrypoint = []string{}
	}
	if len(cfg.Entrypoint) != 0 {
		return
	}
	if len(cfg.Cmd) == 0 {
		cfg.Cmd = append([]string(nil), img.Cmd...)
		cfg.ArgsEscaped = img.ArgsEscaped
	}
	if cfg.Entrypoint == nil {
		cfg.Entrypoint = append([]string(nil), img.Entrypoint...)
	}
}

// mergeEnv appends the image's variables the user did not set.
func mergeEnv(user, image []string) []string {
	if len(user) == 0 {
		return append([]string(nil), image...)
	}
	seen := make(map[string]bool, len(user))
	for _, kv := range user {
		k, _, _ := strings.Cut(kv, "=")
		seen[k] = true
	}
	out := user
	for _, kv := range image {
		if k, _, _ := strings.Cut(kv, "="); !seen[k] {
			out = append(out, kv)
		}
	}
	return out
}

// mergePorts adds the image's exposed ports to the user's.
func mergePorts(cfg *ctypes.Config, ports map[string]struct{}) error {
	if len(ports) == 0 {
		return nil
	}
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = make(network.PortSet, len(ports))
	}
	for s := range ports {
		p, err := network.ParsePort(s)
		if err != nil {
			return invalidWrap(err, "image exposes an invalid port %q", s)
		}
		cfg.ExposedPorts[p] = struct{}{}
	}
	return nil
}

// mergeHealthcheck gives a container the image's HEALTHCHECK: the user's
// fields win one by one, so `--health-interval` alone keeps the image's
// test. A user test of ["NONE"] (--no-healthcheck) disables it and is kept
// so inspect shows it, as docker does.
func mergeHealthcheck(user, image *dockerspec.HealthcheckConfig) *dockerspec.HealthcheckConfig {
	if image == nil {
		return user
	}
	if user == nil {
		c := *image
		c.Test = append([]string(nil), image.Test...)
		return &c
	}
	if len(user.Test) == 0 {
		user.Test = append([]string(nil), image.Test...)
	}
	if user.Interval == 0 {
		user.Interval = image.Interval
	}
	if user.Timeout == 0 {
		user.Timeout = image.Timeout
	}
	if user.StartPeriod == 0 {
		user.StartPeriod = image.StartPeriod
	}
	if user.StartInterval == 0 {
		user.StartInterval = image.StartInterval
	}
	if user.Retries == 0 {
		user.Retries = image.Retries
	}
	return user
}
