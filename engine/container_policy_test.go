package engine

import (
	"errors"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
)

func TestWantsRestart(t *testing.T) {
	pol := func(name ctypes.RestartPolicyMode, n int) *ctypes.HostConfig {
		return &ctypes.HostConfig{RestartPolicy: ctypes.RestartPolicy{Name: name, MaximumRetryCount: n}}
	}
	tests := []struct {
		hc       *ctypes.HostConfig
		count    int
		code     int
		manual   bool
		want     bool
		scenario string
	}{
		{pol("no", 0), 0, 1, false, false, "no"},
		{pol("always", 0), 5, 0, false, true, "always after success"},
		{pol("always", 0), 0, 0, true, false, "always, stopped by the user"},
		{pol("unless-stopped", 0), 0, 2, false, true, "unless-stopped"},
		{pol("on-failure", 3), 2, 1, false, true, "on-failure under the cap"},
		{pol("on-failure", 3), 3, 1, false, false, "on-failure at the cap"},
		{pol("on-failure", 0), 99, 1, false, true, "on-failure unbounded"},
		{pol("on-failure", 3), 0, 0, false, false, "on-failure after success"},
		{&ctypes.HostConfig{AutoRemove: true, RestartPolicy: ctypes.RestartPolicy{Name: "always"}}, 0, 1, false, false, "--rm"},
	}
	for _, tt := range tests {
		c := &container.Container{HostConfig: tt.hc, RestartCount: tt.count, ManuallyStopped: tt.manual}
		if got := wantsRestart(c, tt.code); got != tt.want {
			t.Errorf("%s: got %v", tt.scenario, got)
		}
	}
}

func TestValidateHostConfig(t *testing.T) {
	e := &Engine{}
	bad := []*ctypes.HostConfig{
		{LogConfig: ctypes.LogConfig{Type: "syslog"}},
		{LogConfig: ctypes.LogConfig{Config: map[string]string{"max-size": "lots"}}},
		{LogConfig: ctypes.LogConfig{Config: map[string]string{"max-file": "0"}}},
		{LogConfig: ctypes.LogConfig{Config: map[string]string{"bogus": "1"}}},
		{RestartPolicy: ctypes.RestartPolicy{Name: "always", MaximumRetryCount: 2}},
		{RestartPolicy: ctypes.RestartPolicy{Name: "sometimes"}},
		{Resources: ctypes.Resources{Memory: 1024}},
		{Resources: ctypes.Resources{MemorySwap: 1 << 30}},
		{Runtime: "no-such-runtime-binary"},
	}
	for _, hc := range bad {
		if _, err := e.validateHostConfig(&container.Container{HostConfig: hc}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%+v: %v", hc, err)
		}
	}
	c := &container.Container{HostConfig: &ctypes.HostConfig{}}
	warnings, err := e.validateHostConfig(c)
	hc := c.HostConfig
	if err != nil || len(warnings) != 0 || hc.LogConfig.Type != "json-file" ||
		hc.LogConfig.Config["max-size"] != "10m" || hc.LogConfig.Config["max-file"] != "3" ||
		hc.RestartPolicy.Name != "no" || c.Runtime != defaultRuntime {
		t.Fatalf("defaults: %+v %v %v", hc, warnings, err)
	}
	size, files, err := logLimits(&hc.LogConfig)
	if err != nil || size != 10<<20 || files != 3 {
		t.Errorf("log limits %d %d %v", size, files, err)
	}
}

func TestParseMode(t *testing.T) {
	rw, prop, nocopy, err := parseMode("ro,rshared,nocopy")
	if err != nil || rw || prop != "rshared" || !nocopy {
		t.Fatalf("%v %v %v %v", rw, prop, nocopy, err)
	}
	if _, _, _, err := parseMode("rw,bogus"); err == nil {
		t.Error("bogus mode accepted")
	}
}

func TestHealthConfig(t *testing.T) {
	if healthConfig(&ctypes.HealthConfig{Test: []string{"NONE"}}) != nil {
		t.Error("NONE")
	}
	h := healthConfig(&ctypes.HealthConfig{Test: []string{"CMD-SHELL", "curl -f x || exit 1"}})
	if h == nil || len(h.Test) != 3 || h.Test[0] != "/bin/sh" || h.Interval != 30*time.Second ||
		h.Timeout != 30*time.Second || h.Retries != 3 || h.StartInterval != 5*time.Second {
		t.Fatalf("%+v", h)
	}
}

func TestLinuxResources(t *testing.T) {
	pids := int64(0)
	r := linuxResources(&ctypes.Resources{Memory: 64 << 20, NanoCPUs: 1500000000, CPUShares: 512, CpusetCpus: "0", PidsLimit: &pids})
	if *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 128<<20 || *r.CPU.Quota != 150000 || *r.CPU.Period != 100000 ||
		*r.CPU.Shares != 512 || r.CPU.Cpus != "0" || *r.Pids.Limit != -1 {
		t.Fatalf("%+v", r)
	}
}
