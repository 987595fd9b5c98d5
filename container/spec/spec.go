// Package spec turns a container's docker-shaped configuration (Config,
// HostConfig), its image config and its resolved mounts into an OCI runtime
// spec with Docker's defaults: the default capability set, Docker's default
// seccomp profile, masked and read-only /proc paths, a private /dev, a
// cgroup namespace, rlimits clamped to what the host allows.
//
// It must not import engine, monitor, cli, api or compose.
package spec

import (
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Input is everything Generate needs; the engine resolves it first.
type Input struct {
	ID string
	// Config is the container's config with the image's defaults already
	// merged in (Merge); HostConfig is as the user gave it.
	Config     *ctypes.Config
	HostConfig *ctypes.HostConfig

	// Rootfs is the mounted container root (host path); users and groups
	// are resolved from its /etc/passwd and /etc/group, safely inside it.
	Rootfs string
	// Mounts are the resolved volume, bind and tmpfs mounts (destinations
	// inside the container), added after the defaults, in order.
	Mounts []specs.Mount
	// EtcFiles are host files bind-mounted at /etc/hostname, /etc/hosts,
	// /etc/resolv.conf (keys are the container paths); the engine writes them.
	EtcFiles map[string]string
	// InitPath is the host path of onggi's binary, mounted read-only at
	// /sbin/onggi-init when HostConfig.Init is true.
	InitPath string
	// CgroupParent is the cgroup parent ("" = /onggi); the cgroupsPath is
	// <parent>/<id>.
	CgroupParent string
	// NetNSPath joins an existing network namespace (the networking issue);
	// "" with NetworkMode "host" shares the host's, otherwise a new one.
	NetNSPath string
}

// Generate returns the OCI spec for in. Invalid options (an unknown
// capability, a bad sysctl, a malformed --device, a user that does not
// exist in the image) wrap errdefs.ErrInvalid with docker's wording.
func Generate(in Input) (*specs.Spec, error) { return generate(in) }

// Merge fills cfg's unset fields from the image config as docker's create
// does, so inspect shows the effective config: Env (image first, user
// values override by key), Entrypoint and Cmd (a user entrypoint drops the
// image's Cmd unless the user gave Cmd too), WorkingDir, User, Labels
// (image labels under the user's), ExposedPorts, Volumes, StopSignal,
// Healthcheck, OnBuild. Empty argv afterwards: errdefs.ErrInvalid
// ("no command specified").
func Merge(cfg *ctypes.Config, img dockerspec.DockerOCIImageConfig) error {
	return merge(cfg, img)
}

// Command is the process argv of a merged config: Entrypoint + Cmd.
func Command(cfg *ctypes.Config) []string {
	return append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
}
