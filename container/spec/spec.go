// Package spec turns a container's docker-shaped configuration (Config,
// HostConfig), its image config and its resolved mounts into an OCI runtime
// spec with Docker's defaults: the default capability set, Docker's default
// seccomp profile, masked and read-only /proc paths, a private /dev, a
// cgroup namespace, rlimits clamped to what the host allows.
//
// It must not import engine, monitor, cli, api or compose; it uses
// runtime/seccomp for Docker's default profile. Merge and ApplyDefaults
// are portable; Generate, Validate and ResolveUser are Linux-only.
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
	// InitPath is unused: --init is the AnnotationInit annotation, and
	// onggi's runtime runs its own reaper (no binary in the image needed).
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
// It does not modify in.Config or in.HostConfig.
func Generate(in Input) (*specs.Spec, error) { return generate(in) }

// Validate checks cfg and hc the way Generate will, without a rootfs
// (resources, namespace modes, capabilities, sysctls, --security-opt,
// --tmpfs, ulimits), so the engine can refuse a bad container at create
// time as docker does rather than at its first start. Errors wrap
// errdefs.ErrInvalid with docker's wording. Devices and the user are only
// checked by Generate (they depend on the host's /dev and the image).
func Validate(cfg *ctypes.Config, hc *ctypes.HostConfig) error { return validate(cfg, hc) }

// ResolveUser resolves docker's -u value ("", "name", "uid", "name:group",
// "uid:gid", "name:gid", "uid:group") against the image's /etc/passwd and
// /etc/group, both opened inside rootfs as if it were the root directory
// (symlinks in the image cannot reach host files). AdditionalGids lists
// the primary gid, the groups whose member lists name the user, then
// groupAdd (names or numbers), as docker's. A numeric uid absent from
// passwd is allowed (gid 0); an unknown name is errdefs.ErrInvalid
// "unable to find user x: no matching entries in passwd file".
func ResolveUser(rootfs, user string, groupAdd []string) (specs.User, error) {
	return resolveUser(rootfs, user, groupAdd)
}

// ApplyDefaults fills hc's unset fields with the values docker records at
// create, so inspect shows the effective configuration: --memory-swap
// twice --memory, --shm-size 64 MiB, a private IPC and cgroup namespace,
// OomKillDisable false. Generate applies the same defaults itself, so
// calling this is optional.
func ApplyDefaults(hc *ctypes.HostConfig) { applyDefaults(hc) }

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
