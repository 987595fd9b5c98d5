package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/container/spec"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/snapshot"
)

// defaultRuntime is the name of onggi's own, in-process runtime.
const defaultRuntime = "onggi"

func (e *Engine) createContainer(ctx context.Context, o CreateOptions) (_ *container.Container, _ []string, retErr error) {
	defer Span("create")()
	cfg, hc := copyConfigs(o.Config, o.HostConfig)
	if cfg.Image == "" {
		cfg.Image = o.Image // inspect shows the reference as given
	}
	endGet := Span("create.image-get")
	img, err := e.images.Get(ctx, o.Image)
	endGet()
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil, nil, classed(errdefs.ErrNotFound, "No such image: %s", o.Image)
		}
		return nil, nil, err
	}
	var imgCfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(img.ConfigJSON, &imgCfg); err != nil {
		return nil, nil, fmt.Errorf("image %s: parsing config: %w", o.Image, err)
	}
	if err := spec.Merge(cfg, imgCfg.Config); err != nil {
		return nil, nil, err
	}
	c := &container.Container{
		ID: newContainerID(), Name: trimSlash(o.Name), Created: time.Now().UTC(),
		Image: o.Image, ImageID: img.ID.String(), Config: cfg, HostConfig: hc,
	}
	warnings, err := e.validateHostConfig(c)
	if err != nil {
		return nil, nil, err
	}
	endNet := Span("create.network")
	netWarnings, err := e.validateNetworking(c, o.NetworkingConfig)
	endNet()
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, netWarnings...)
	cmd := spec.Command(cfg)
	c.Path, c.Args = cmd[0], cmd[1:]
	if cfg.Hostname == "" {
		cfg.Hostname = c.ID[:12]
		if hc.NetworkMode == "host" {
			cfg.Hostname, _ = os.Hostname()
		}
	}
	c.State = ctypes.State{Status: ctypes.StateCreated, StartedAt: zeroTime, FinishedAt: zeroTime}
	dir := e.containers.Dir(c.ID)
	if hc.LogConfig.Type != "none" {
		c.LogPath = filepath.Join(dir, c.ID+"-json.log")
	}
	undo := &createUndo{e: e, id: c.ID}
	defer func() {
		if retErr != nil {
			undo.run(ctx)
		}
	}()
	if err := e.resolveMounts(c, undo); err != nil {
		return nil, nil, err
	}
	endPrep := Span("create.snapshot-prepare")
	if err := e.prepareSnapshot(ctx, c, img); err != nil {
		return nil, nil, err
	}
	endPrep()
	undo.snapshot = true
	endRec := Span("create.record")
	if err := e.containers.Create(c); err != nil {
		return nil, nil, err
	}
	endRec()
	undo.record = true
	defer Span("create.etc-files")()
	extra, err := e.extraHosts(hc)
	if err != nil {
		return nil, nil, err
	}
	if err := writeEtcFiles(dir, cfg.Hostname, hc.NetworkMode == "host", extra); err != nil {
		return nil, nil, fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	return c, warnings, nil
}

// zeroTime is how docker shows a time that has not happened yet.
const zeroTime = "0001-01-01T00:00:00Z"

func (e *Engine) prepareSnapshot(ctx context.Context, c *container.Container, img *image.Image) error {
	ms, err := e.images.Prepare(ctx, c.ID, img)
	if err != nil {
		return fmt.Errorf("preparing rootfs of %s: %w", shortID(c.ID), err)
	}
	c.SnapshotKey, c.Driver = c.ID, snapshot.DriverCopy
	if len(ms) > 0 && ms[0].Type == "overlay" {
		c.Driver = snapshot.DriverOverlay
	}
	return nil
}

// createUndo removes what a failed create made, newest first.
type createUndo struct {
	e        *Engine
	id       string
	volumes  []string // volumes this create made
	snapshot bool
	record   bool
}

func (u *createUndo) run(ctx context.Context) {
	if u.record {
		_ = u.e.containers.Remove(u.id)
	}
	if u.snapshot {
		_ = u.e.images.Snapshots().Remove(ctx, u.id)
	}
	for i := len(u.volumes) - 1; i >= 0; i-- {
		_ = u.e.removeVolumeLocked(u.volumes[i])
	}
}

// copyConfigs copies the caller's configs so defaults and merged image
// values never leak back into the caller's structs.
func copyConfigs(cfg *ctypes.Config, hc *ctypes.HostConfig) (*ctypes.Config, *ctypes.HostConfig) {
	c, h := &ctypes.Config{}, &ctypes.HostConfig{}
	if cfg != nil {
		*c = *cfg
	}
	if hc != nil {
		*h = *hc
	}
	return c, h
}

func newContainerID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func trimSlash(name string) string {
	if len(name) > 0 && name[0] == '/' {
		return name[1:]
	}
	return name
}

// writeEtcFiles writes the files bind-mounted at /etc/hostname, /etc/hosts
// and /etc/resolv.conf. With the host network they copy the host's hosts
// and resolv.conf (read only: the host files are never modified); without a
// network there is only loopback and no DNS. extra (--add-host lines) is
// appended to hosts. Bridge networks rewrite hosts and resolv.conf at each
// start (writeNetEtcFiles), once the addresses are known.
func writeEtcFiles(dir, hostname string, hostNet bool, extra string) error {
	hosts := "127.0.0.1\tlocalhost " + hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	resolv := "# network none: no DNS servers\n"
	if hostNet {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
		}
		if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
			resolv = string(b)
		}
	}
	hosts += extra
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	files := [][2]string{{"hostname", hostname + "\n"}, {"hosts", hosts}, {"resolv.conf", resolv}}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f[0]), []byte(f[1]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
