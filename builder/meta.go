package builder

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/sys/signal"
	"github.com/onggi/onggi/errdefs"
)

// dispatchMeta runs an instruction that only changes the image config:
// one empty_layer history entry with BuildKit's text, cached like any
// step so an unchanged rebuild reproduces the same config (and image ID).
func (r *stageRun) dispatchMeta(cmd instructions.Command) error {
	var text string
	var apply func(c *dockerspec.DockerOCIImage) error
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		text, apply = metaEnv(c)
	case *instructions.LabelCommand:
		text, apply = metaLabel(c)
	case *instructions.MaintainerCommand:
		text = "MAINTAINER " + c.Maintainer
		apply = func(img *dockerspec.DockerOCIImage) error { img.Author = c.Maintainer; return nil }
	case *instructions.CmdCommand:
		args := r.withShell(c.ShellDependantCmdLine)
		text = fmt.Sprintf("CMD %q", args)
		r.cmdSet = true
		apply = func(img *dockerspec.DockerOCIImage) error {
			img.Config.Cmd, img.Config.ArgsEscaped = args, true //nolint:staticcheck // Docker's images set it too
			return nil
		}
	case *instructions.EntrypointCommand:
		args := r.withShell(c.ShellDependantCmdLine)
		text = fmt.Sprintf("ENTRYPOINT %q", args)
		cmdSet := r.cmdSet
		apply = func(img *dockerspec.DockerOCIImage) error {
			img.Config.Entrypoint = args
			if !cmdSet {
				// Docker: an ENTRYPOINT resets the base image's CMD unless
				// this Dockerfile set one before it.
				img.Config.Cmd = nil
			}
			return nil
		}
	case *instructions.ExposeCommand:
		return r.dispatchExpose(c)
	case *instructions.UserCommand:
		text = "USER " + c.User
		apply = func(img *dockerspec.DockerOCIImage) error { img.Config.User = c.User; return nil }
	case *instructions.VolumeCommand:
		text, apply = metaVolume(c)
	case *instructions.StopSignalCommand:
		if _, err := signal.ParseSignal(c.Signal); err != nil {
			return fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
		}
		text = "STOPSIGNAL " + c.Signal
		apply = func(img *dockerspec.DockerOCIImage) error { img.Config.StopSignal = c.Signal; return nil }
	case *instructions.HealthCheckCommand:
		hc := *c.Health
		text = fmt.Sprintf("HEALTHCHECK %+v", hc)
		apply = func(img *dockerspec.DockerOCIImage) error { img.Config.Healthcheck = &hc; return nil }
	case *instructions.ShellCommand:
		text = fmt.Sprintf("SHELL %v", c.Shell)
		apply = func(img *dockerspec.DockerOCIImage) error { img.Config.Shell = c.Shell; return nil }
	case *instructions.OnbuildCommand:
		return r.metaStep("ONBUILD "+c.Expression, false, func(img *dockerspec.DockerOCIImage) error {
			img.Config.OnBuild = append(img.Config.OnBuild, c.Expression)
			return nil
		})
	default:
		return fmt.Errorf("%w: instruction %s is not supported", errdefs.ErrInvalid, strings.ToUpper(cmd.Name()))
	}
	return r.metaStep(text, true, apply)
}

// metaStep applies a config change as a cached step; history says
// whether it leaves a history entry (ONBUILD does not, as in BuildKit).
func (r *stageRun) metaStep(text string, history bool, apply func(*dockerspec.DockerOCIImage) error) error {
	key := stepKey(r.st.key, "meta", text)
	return r.cached(key, nil, func() (*state, error) {
		n := r.st.clone()
		if err := apply(&n.img); err != nil {
			return nil, err
		}
		if history {
			n.commit(text, nil, "")
		}
		return n, nil
	})
}

func metaEnv(c *instructions.EnvCommand) (string, func(*dockerspec.DockerOCIImage) error) {
	var b strings.Builder
	b.WriteString("ENV")
	for _, e := range c.Env {
		b.WriteString(" " + e.String())
	}
	return b.String(), func(img *dockerspec.DockerOCIImage) error {
		for _, e := range c.Env {
			img.Config.Env = setEnv(img.Config.Env, e.Key, e.Value)
		}
		return nil
	}
}

// setEnv replaces or appends k in a "K=V" list.
func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func metaLabel(c *instructions.LabelCommand) (string, func(*dockerspec.DockerOCIImage) error) {
	var b strings.Builder
	b.WriteString("LABEL")
	for _, l := range c.Labels {
		b.WriteString(" " + l.String())
	}
	return b.String(), func(img *dockerspec.DockerOCIImage) error {
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		for _, l := range c.Labels {
			img.Config.Labels[l.Key] = l.Value
		}
		return nil
	}
}

func metaVolume(c *instructions.VolumeCommand) (string, func(*dockerspec.DockerOCIImage) error) {
	return fmt.Sprintf("VOLUME %v", c.Volumes), func(img *dockerspec.DockerOCIImage) error {
		if img.Config.Volumes == nil {
			img.Config.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return fmt.Errorf("%w: VOLUME specified can not be an empty string", errdefs.ErrInvalid)
			}
			img.Config.Volumes[v] = struct{}{}
		}
		return nil
	}
}

func (r *stageRun) dispatchExpose(c *instructions.ExposeCommand) error {
	var ports []string
	for _, p := range c.Ports {
		words, err := r.bd.lex.ProcessWords(p, r.scope.expandEnv())
		if err != nil {
			return err
		}
		for _, w := range words {
			ps, err := parsePortSpec(w)
			if err != nil {
				return err
			}
			ports = append(ports, ps...)
		}
	}
	return r.metaStep(fmt.Sprintf("EXPOSE %v", ports), true, func(img *dockerspec.DockerOCIImage) error {
		if img.Config.ExposedPorts == nil {
			img.Config.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			img.Config.ExposedPorts[p] = struct{}{}
		}
		return nil
	})
}

// parsePortSpec reads an EXPOSE word: "80", "80/udp", "8000-8002/tcp"
// (a range expands to each port); an IP or a host port is refused, as
// Docker does.
func parsePortSpec(w string) ([]string, error) {
	ports, proto, _ := strings.Cut(w, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("%w: invalid proto: %s", errdefs.ErrInvalid, proto)
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid containerPort: %s", errdefs.ErrInvalid, w)
	}
	end := start
	if isRange {
		if end, err = strconv.ParseUint(hi, 10, 16); err != nil || end < start {
			return nil, fmt.Errorf("%w: invalid range specified for container port: %s", errdefs.ErrInvalid, w)
		}
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, strconv.FormatUint(p, 10)+"/"+proto)
	}
	return out, nil
}

// withShell is a shell-form command line with the stage's SHELL (or
// /bin/sh -c) in front; exec form is returned as is.
func (r *stageRun) withShell(c instructions.ShellDependantCmdLine) []string {
	if !c.PrependShell {
		return c.CmdLine
	}
	sh := r.st.img.Config.Shell
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string{}, sh...), strings.Join(c.CmdLine, " "))
}

// dispatchArg declares stage args; the history entry carries the values.
func (r *stageRun) dispatchArg(c *instructions.ArgCommand) error {
	parts := make([]string, 0, len(c.Args))
	for _, a := range c.Args {
		s, err := r.scope.declare(r.bd.lex, a, r.bd.o.BuildArgs, r.bd.globals, r.bd.auto)
		if err != nil {
			return err
		}
		r.bd.markUsed(a.Key)
		parts = append(parts, s)
	}
	return r.metaStep("ARG "+strings.Join(parts, " "), true, func(*dockerspec.DockerOCIImage) error { return nil })
}

// workdirPath resolves WORKDIR p against the current working directory.
func workdirPath(cur, p string) string {
	if !path.IsAbs(p) {
		if cur == "" {
			cur = "/"
		}
		p = path.Join(cur, p)
	}
	return path.Clean(p)
}
