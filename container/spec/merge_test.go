package spec

import (
	"errors"
	"reflect"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func image(c ocispec.ImageConfig, hc *dockerspec.HealthcheckConfig) dockerspec.DockerOCIImageConfig {
	return dockerspec.DockerOCIImageConfig{ImageConfig: c, DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{Healthcheck: hc}}
}

func TestMergeCommand(t *testing.T) {
	img := image(ocispec.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"default", "args"}}, nil)
	for _, tc := range []struct {
		name             string
		entrypoint, cmd  []string
		wantEntry, wantC []string
	}{
		{"image defaults", nil, nil, []string{"/entry"}, []string{"default", "args"}},
		{"user cmd keeps image entrypoint", nil, []string{"x"}, []string{"/entry"}, []string{"x"}},
		{"user entrypoint drops image cmd", []string{"/mine"}, nil, []string{"/mine"}, nil},
		{"user entrypoint and cmd", []string{"/mine"}, []string{"a"}, []string{"/mine"}, []string{"a"}},
		{"empty entrypoint resets it, keeps image cmd", []string{""}, nil, []string{}, []string{"default", "args"}},
		{"empty entrypoint with cmd", []string{""}, []string{"ls"}, []string{}, []string{"ls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &ctypes.Config{Entrypoint: tc.entrypoint, Cmd: tc.cmd}
			if err := Merge(cfg, img); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Entrypoint, tc.wantEntry) || !reflect.DeepEqual(cfg.Cmd, tc.wantC) {
				t.Fatalf("entrypoint %q cmd %q, want %q %q", cfg.Entrypoint, cfg.Cmd, tc.wantEntry, tc.wantC)
			}
		})
	}
}

func TestMergeNoCommand(t *testing.T) {
	err := Merge(&ctypes.Config{}, image(ocispec.ImageConfig{}, nil))
	if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != "no command specified" {
		t.Fatalf("err = %v, want ErrInvalid \"no command specified\"", err)
	}
	// --entrypoint "" on an image without Cmd has nothing to run either.
	err = Merge(&ctypes.Config{Entrypoint: []string{""}}, image(ocispec.ImageConfig{Entrypoint: []string{"/e"}}, nil))
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestMergeFields(t *testing.T) {
	img := image(ocispec.ImageConfig{
		User: "app", WorkingDir: "/srv", StopSignal: "SIGQUIT", Cmd: []string{"run"},
		Env:          []string{"PATH=/img/bin", "A=image", "B=image"},
		Labels:       map[string]string{"l1": "image", "l2": "image"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
		Volumes:      map[string]struct{}{"/data": {}},
	}, nil)
	img.OnBuild = []string{"RUN x"}

	cfg := &ctypes.Config{
		Env:          []string{"A=user", "C=user"},
		Labels:       map[string]string{"l1": "user"},
		ExposedPorts: network.PortSet{network.MustParsePort("8080/tcp"): {}},
		Volumes:      map[string]struct{}{"/cache": {}},
	}
	if err := Merge(cfg, img); err != nil {
		t.Fatal(err)
	}
	if want := []string{"A=user", "C=user", "PATH=/img/bin", "B=image"}; !reflect.DeepEqual(cfg.Env, want) {
		t.Errorf("env %q, want %q", cfg.Env, want)
	}
	if want := map[string]string{"l1": "user", "l2": "image"}; !reflect.DeepEqual(cfg.Labels, want) {
		t.Errorf("labels %v, want %v", cfg.Labels, want)
	}
	for _, p := range []string{"80/tcp", "53/udp", "8080/tcp"} {
		if _, ok := cfg.ExposedPorts[network.MustParsePort(p)]; !ok {
			t.Errorf("port %s missing from %v", p, cfg.ExposedPorts)
		}
	}
	if len(cfg.Volumes) != 2 {
		t.Errorf("volumes %v, want /data and /cache", cfg.Volumes)
	}
	if cfg.User != "app" || cfg.WorkingDir != "/srv" || cfg.StopSignal != "SIGQUIT" || len(cfg.OnBuild) != 1 {
		t.Errorf("user %q workdir %q stop %q onbuild %q", cfg.User, cfg.WorkingDir, cfg.StopSignal, cfg.OnBuild)
	}

	// The user's scalar values win.
	cfg = &ctypes.Config{User: "1000:1000", WorkingDir: "/w", StopSignal: "SIGTERM"}
	if err := Merge(cfg, img); err != nil {
		t.Fatal(err)
	}
	if cfg.User != "1000:1000" || cfg.WorkingDir != "/w" || cfg.StopSignal != "SIGTERM" {
		t.Errorf("user values overwritten: %+v", cfg)
	}
	if !reflect.DeepEqual(cfg.Env, img.Env) {
		t.Errorf("env %q, want the image's %q", cfg.Env, img.Env)
	}
	// The image's slices must not be shared with the container's.
	cfg.Env[0] = "CHANGED=1"
	if img.Env[0] != "PATH=/img/bin" {
		t.Error("Merge aliased the image's Env")
	}
}

func TestMergeBadImagePort(t *testing.T) {
	img := image(ocispec.ImageConfig{Cmd: []string{"x"}, ExposedPorts: map[string]struct{}{"http/tcp": {}}}, nil)
	if err := Merge(&ctypes.Config{}, img); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestMergeHealthcheck(t *testing.T) {
	imgHC := &dockerspec.HealthcheckConfig{
		Test: []string{"CMD-SHELL", "true"}, Interval: 30 * time.Second, Timeout: 5 * time.Second,
		StartPeriod: time.Second, StartInterval: 2 * time.Second, Retries: 3,
	}
	for _, tc := range []struct {
		name string
		user *ctypes.HealthConfig
		want *ctypes.HealthConfig
	}{
		{"inherited", nil, imgHC},
		{"disabled", &ctypes.HealthConfig{Test: []string{"NONE"}},
			&ctypes.HealthConfig{Test: []string{"NONE"}, Interval: 30 * time.Second, Timeout: 5 * time.Second,
				StartPeriod: time.Second, StartInterval: 2 * time.Second, Retries: 3}},
		{"partial", &ctypes.HealthConfig{Interval: time.Minute},
			&ctypes.HealthConfig{Test: []string{"CMD-SHELL", "true"}, Interval: time.Minute, Timeout: 5 * time.Second,
				StartPeriod: time.Second, StartInterval: 2 * time.Second, Retries: 3}},
		{"own test", &ctypes.HealthConfig{Test: []string{"CMD", "check"}, Retries: 1},
			&ctypes.HealthConfig{Test: []string{"CMD", "check"}, Interval: 30 * time.Second, Timeout: 5 * time.Second,
				StartPeriod: time.Second, StartInterval: 2 * time.Second, Retries: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &ctypes.Config{Healthcheck: tc.user}
			if err := Merge(cfg, image(ocispec.ImageConfig{Cmd: []string{"x"}}, imgHC)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Healthcheck, tc.want) {
				t.Fatalf("healthcheck %+v, want %+v", cfg.Healthcheck, tc.want)
			}
			if cfg.Healthcheck == imgHC {
				t.Fatal("healthcheck aliases the image's")
			}
		})
	}
	// No image healthcheck: the user's stays as given (nil stays nil).
	cfg := &ctypes.Config{Cmd: []string{"x"}}
	if err := Merge(cfg, image(ocispec.ImageConfig{}, nil)); err != nil || cfg.Healthcheck != nil {
		t.Fatalf("healthcheck %+v, err %v", cfg.Healthcheck, err)
	}
}

func TestCommand(t *testing.T) {
	cfg := &ctypes.Config{Entrypoint: []string{"/bin/sh", "-c"}, Cmd: []string{"echo hi"}}
	got := Command(cfg)
	if want := []string{"/bin/sh", "-c", "echo hi"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Command = %q, want %q", got, want)
	}
	got[0] = "x"
	if cfg.Entrypoint[0] != "/bin/sh" {
		t.Fatal("Command aliased the entrypoint")
	}
}

func TestApplyDefaults(t *testing.T) {
	hc := &ctypes.HostConfig{}
	hc.Memory = 100 << 20
	ApplyDefaults(hc)
	if hc.MemorySwap != 200<<20 || hc.ShmSize != 64<<20 || hc.IpcMode != "private" ||
		hc.CgroupnsMode != "private" || hc.OomKillDisable == nil || *hc.OomKillDisable {
		t.Fatalf("defaults not applied: %+v", hc)
	}
	hc = &ctypes.HostConfig{ShmSize: 1 << 20, IpcMode: "host"}
	hc.Memory, hc.MemorySwap = 100<<20, -1
	ApplyDefaults(hc)
	if hc.MemorySwap != -1 || hc.ShmSize != 1<<20 || hc.IpcMode != "host" {
		t.Fatalf("user values overwritten: %+v", hc)
	}
}
