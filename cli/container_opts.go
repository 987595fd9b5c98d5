package cli

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/cli/pkg/kvfile"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/engine"
	"github.com/spf13/pflag"
)

// containerOptions are the flags `run` and `create` share, parsed into
// docker's Config/HostConfig by parse the way docker's CLI does (its
// cli/command/container/opts.go), so the engine sees the same shapes.
type containerOptions struct {
	attach, envFile, labelFiles                  listValue
	env, labels                                  checkedList
	volumes, tmpfs, capAdd, capDrop, securityOpt listValue
	devices, groupAdd, logOpts                   listValue
	mounts                                       mountValue
	ulimits                                      ulimitValue
	sysctls, annotations                         mapValue

	stdin, tty, autoRemove, readOnly, privileged bool
	oomKillDisable, noHealthcheck, init          bool

	name, entrypoint, hostname, domainname, user, workdir string
	restart, stopSignal, logDriver, runtime               string
	ipc, pid, uts, cgroupParent, cgroupns, userns         string
	cpusetCpus, cpusetMems, healthCmd, pull, platform     string
	cidfile                                               string

	memory, memoryReservation, shmSize memBytes
	memorySwap                         memSwapBytes
	cpus                               nanoCPUs
	cpuShares, cpuQuota, cpuPeriod     int64
	pidsLimit, swappiness              int64
	stopTimeout, oomScoreAdj           int
	healthRetries                      int
	blkioWeight                        uint16

	healthInterval, healthTimeout, healthStartPeriod, healthStartInterval time.Duration

	net netFlags

	image string
	args  []string
}

// addContainerFlags registers docker's run/create flags (names, shorthands,
// defaults and help as docker's reference has them).
func addContainerFlags(f *pflag.FlagSet) *containerOptions {
	o := &containerOptions{
		sysctls: mapValue{validate: validateSysctl},
		env:     checkedList{check: checkEnv}, labels: checkedList{check: checkLabel},
	}
	f.SetInterspersed(false) // flags after IMAGE belong to the command
	f.VarP(&o.attach, "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	f.Var(&o.devices, "device", "Add a host device to the container")
	f.VarP(&o.env, "env", "e", "Set environment variables")
	f.Var(&o.envFile, "env-file", "Read in a file of environment variables")
	f.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	f.Var(&o.groupAdd, "group-add", "Add additional groups to join")
	f.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	f.StringVar(&o.domainname, "domainname", "", "Container NIS domain name")
	f.BoolVarP(&o.stdin, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.VarP(&o.labels, "label", "l", "Set meta data on a container")
	f.Var(&o.labelFiles, "label-file", "Read in a line delimited file of labels")
	f.StringVar(&o.name, "name", "", "Assign a name to the container")
	f.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	f.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	f.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	f.IntVar(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	f.Var(&o.sysctls, "sysctl", "Sysctl options")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.Var(&o.ulimits, "ulimit", "Ulimit options")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	f.BoolVar(&o.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	f.StringVar(&o.pull, "pull", "missing", `Pull image before running ("always", "missing", "never")`)
	f.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	f.StringVar(&o.cidfile, "cidfile", "", "Write the container ID to the file")
	f.Var(&o.annotations, "annotation", "Add an annotation to the container (passed through to the OCI runtime)")
	f.Bool("help", false, "Print usage") // no -h: it is --hostname
	addSecurityFlags(f, o)
	addNetworkFlags(f, o)
	addStorageFlags(f, o)
	addHealthFlags(f, o)
	addResourceFlags(f, o)
	return o
}

func addSecurityFlags(f *pflag.FlagSet, o *containerOptions) {
	f.Var(&o.capAdd, "cap-add", "Add Linux capabilities")
	f.Var(&o.capDrop, "cap-drop", "Drop Linux capabilities")
	f.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	f.Var(&o.securityOpt, "security-opt", "Security Options")
	f.StringVar(&o.userns, "userns", "", "User namespace to use")
	f.StringVar(&o.cgroupns, "cgroupns", "", "Cgroup namespace to use (host|private)")
}

// addNetworkFlags registers --network, -p, --dns and their kin
// (network_opts.go parses them).
func addNetworkFlags(f *pflag.FlagSet, o *containerOptions) { addNetFlags(f, &o.net) }

func addStorageFlags(f *pflag.FlagSet, o *containerOptions) {
	f.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container")
	f.Var(&o.logOpts, "log-opt", "Log driver options")
	f.Var(&o.tmpfs, "tmpfs", "Mount a tmpfs directory")
	f.VarP(&o.volumes, "volume", "v", "Bind mount a volume")
	f.Var(&o.mounts, "mount", "Attach a filesystem mount to the container")
}

func addHealthFlags(f *pflag.FlagSet, o *containerOptions) {
	f.StringVar(&o.healthCmd, "health-cmd", "", "Command to run to check health")
	f.DurationVar(&o.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	f.IntVar(&o.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	f.DurationVar(&o.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	f.DurationVar(&o.healthStartPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	f.DurationVar(&o.healthStartInterval, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	f.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
}

func addResourceFlags(f *pflag.FlagSet, o *containerOptions) {
	f.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	f.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	f.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Var(&o.cpus, "cpus", "Number of CPUs")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	f.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	f.Int64Var(&o.swappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	f.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	f.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.StringVar(&o.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	f.StringVar(&o.ipc, "ipc", "", "IPC mode to use")
	f.StringVar(&o.pid, "pid", "", "PID namespace to use")
	f.Var(&o.shmSize, "shm-size", "Size of /dev/shm")
	f.StringVar(&o.uts, "uts", "", "UTS namespace to use")
	f.StringVar(&o.runtime, "runtime", "", "Runtime to use for this container")
	f.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
}

// parse turns the flags into the engine's CreateOptions, validating as
// docker's CLI does (its messages; the caller adds the help hint and 125).
func (o *containerOptions) parse(f *pflag.FlagSet) (engine.CreateOptions, error) {
	cfg, err := o.config(f)
	if err != nil {
		return engine.CreateOptions{}, err
	}
	hc, err := o.hostConfig(f)
	if err != nil {
		return engine.CreateOptions{}, err
	}
	binds, anon, err := parseVolumes(o.volumes)
	if err != nil {
		return engine.CreateOptions{}, err
	}
	hc.Binds, cfg.Volumes = binds, anon
	netCfg, err := o.net.apply(cfg, hc)
	if err != nil {
		return engine.CreateOptions{}, err
	}
	if o.autoRemove && !hc.RestartPolicy.IsNone() {
		return engine.CreateOptions{}, errors.New("conflicting options: cannot specify both --restart and --rm")
	}
	// docker: an attached stdin is closed for the container when the
	// client goes away.
	if cfg.OpenStdin && cfg.AttachStdin {
		cfg.StdinOnce = true
	}
	return engine.CreateOptions{Name: o.name, Image: o.image, Config: cfg, HostConfig: hc, NetworkingConfig: netCfg}, nil
}

// config fills docker's portable Config.
func (o *containerOptions) config(f *pflag.FlagSet) (*ctypes.Config, error) {
	env, err := readEnv(o.envFile, o.env.listValue)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	labels, err := readLabels(o.labelFiles, o.labels.listValue)
	if err != nil {
		return nil, fmt.Errorf("--label-file: %w", err)
	}
	health, err := o.healthConfig()
	if err != nil {
		return nil, err
	}
	cfg := &ctypes.Config{
		Hostname: o.hostname, Domainname: o.domainname, User: o.user, Tty: o.tty,
		OpenStdin: o.stdin, Env: env, Image: o.image, WorkingDir: o.workdir,
		Labels: labels, StopSignal: o.stopSignal, Healthcheck: health,
	}
	if err := o.setAttach(cfg); err != nil {
		return nil, err
	}
	if len(o.args) > 0 {
		// Only a given COMMAND replaces the image's CMD (never an empty list).
		cfg.Cmd = o.args
	}
	if o.entrypoint != "" {
		cfg.Entrypoint = []string{o.entrypoint}
	} else if f.Changed("entrypoint") {
		// --entrypoint="" resets the image's entrypoint (docker's marker).
		cfg.Entrypoint = []string{""}
	}
	if f.Changed("stop-timeout") {
		cfg.StopTimeout = &o.stopTimeout
	}
	return cfg, nil
}

// setAttach applies -a (default: stdout and stderr; -i adds stdin).
func (o *containerOptions) setAttach(cfg *ctypes.Config) error {
	for _, s := range o.attach {
		switch strings.ToLower(s) {
		case "stdin":
			cfg.AttachStdin = true
		case "stdout":
			cfg.AttachStdout = true
		case "stderr":
			cfg.AttachStderr = true
		default:
			return errors.New("valid streams are STDIN, STDOUT and STDERR")
		}
	}
	if len(o.attach) == 0 {
		cfg.AttachStdout, cfg.AttachStderr = true, true
	}
	if o.stdin {
		cfg.AttachStdin = true
	}
	return nil
}

// healthConfig applies --health-* and --no-healthcheck with docker's checks.
func (o *containerOptions) healthConfig() (*ctypes.HealthConfig, error) {
	have := o.healthCmd != "" || o.healthInterval != 0 || o.healthTimeout != 0 ||
		o.healthStartPeriod != 0 || o.healthRetries != 0 || o.healthStartInterval != 0
	if o.noHealthcheck {
		if have {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		return &ctypes.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !have {
		return nil, nil
	}
	for _, c := range []struct {
		flag string
		neg  bool
	}{
		{"--health-interval", o.healthInterval < 0}, {"--health-timeout", o.healthTimeout < 0},
		{"--health-retries", o.healthRetries < 0}, {"--health-start-period", o.healthStartPeriod < 0},
		{"--health-start-interval", o.healthStartInterval < 0},
	} {
		if c.neg {
			return nil, fmt.Errorf("%s cannot be negative", c.flag)
		}
	}
	h := &ctypes.HealthConfig{
		Interval: o.healthInterval, Timeout: o.healthTimeout, StartPeriod: o.healthStartPeriod,
		StartInterval: o.healthStartInterval, Retries: o.healthRetries,
	}
	if o.healthCmd != "" {
		h.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	return h, nil
}

// readEnv merges --env-file files then -e (later wins in the container).
// A bare KEY takes the CLI's value and is dropped when unset, as docker's
// client does.
func readEnv(files, env []string) ([]string, error) {
	var out []string
	for _, file := range files {
		vars, err := kvfile.Parse(file, os.LookupEnv)
		if err != nil {
			return nil, err
		}
		out = append(out, vars...)
	}
	for _, e := range env {
		if k, _, ok := strings.Cut(e, "="); !ok {
			if v, found := os.LookupEnv(k); found {
				e = k + "=" + v
			}
		}
		out = append(out, e)
	}
	return slices.DeleteFunc(out, func(s string) bool { return !strings.Contains(s, "=") }), nil
}

// readLabels merges --label-file files then --label into a map.
func readLabels(files, labels []string) (map[string]string, error) {
	var all []string
	for _, file := range files {
		vars, err := kvfile.Parse(file, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, vars...)
	}
	all = append(all, labels...)
	m := make(map[string]string, len(all))
	for _, l := range all {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m, nil
}

// parseVolumes splits -v into binds (host path or named volume) and
// anonymous volumes, validating docker's "src:dst[:opts]" syntax.
func parseVolumes(specs []string) (binds []string, anon map[string]struct{}, err error) {
	for _, spec := range specs {
		src, dst, mode, err := splitVolumeSpec(spec)
		if err != nil {
			return nil, nil, err
		}
		if !path.IsAbs(dst) {
			return nil, nil, fmt.Errorf("invalid volume specification: '%s': invalid mount config for type \"volume\": invalid mount path: '%s' mount path must be absolute", spec, dst)
		}
		if src == "" {
			if anon == nil {
				anon = map[string]struct{}{}
			}
			anon[dst] = struct{}{}
			continue
		}
		if strings.HasPrefix(src, ".") {
			// docker's client makes ./relative binds absolute.
			if abs, err := filepath.Abs(src); err == nil {
				src = abs
			}
		}
		b := src + ":" + dst
		if mode != "" {
			b += ":" + mode
		}
		binds = append(binds, b)
	}
	return binds, anon, nil
}

// splitVolumeSpec parses "dst", "src:dst" or "src:dst:opts".
func splitVolumeSpec(spec string) (src, dst, mode string, err error) {
	if spec == "" {
		return "", "", "", errors.New("invalid empty volume spec")
	}
	parts := strings.Split(spec, ":")
	if slices.Contains(parts, "") {
		return "", "", "", fmt.Errorf("invalid spec: %s: empty section between colons", spec)
	}
	switch len(parts) {
	case 1:
		return "", parts[0], "", nil
	case 2:
		return parts[0], parts[1], "", nil
	case 3:
		if err := validVolumeMode(parts[2]); err != nil {
			return "", "", "", fmt.Errorf("invalid volume specification: '%s': %w", spec, err)
		}
		return parts[0], parts[1], parts[2], nil
	}
	return "", "", "", fmt.Errorf("invalid spec: %s: too many colons", spec)
}

// validVolumeMode accepts docker's -v options: ro/rw, SELinux z/Z,
// nocopy, a propagation mode and the consistency words (no-ops on Linux).
func validVolumeMode(mode string) error {
	for _, m := range strings.Split(mode, ",") {
		switch m {
		case "ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated":
			continue
		}
		if slices.Contains(mount.Propagations, mount.Propagation(m)) {
			continue
		}
		return fmt.Errorf("invalid mode: %s", mode)
	}
	return nil
}
