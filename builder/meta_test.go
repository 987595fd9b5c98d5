package builder

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

// A scratch image with metadata steps only builds without root: nothing
// is mounted or run. It checks the config and history shapes.
func TestMetadataOnlyBuild(t *testing.T) {
	b := testBuilder(t, false)
	df := `ARG V=1
FROM scratch
ARG V
ENV A=$V B="two words"
LABEL l1=$A "l 2"=x
EXPOSE 80 $V/udp
USER nobody
WORKDIR /
CMD echo hi
ENTRYPOINT ["/ep"]
STOPSIGNAL SIGKILL
HEALTHCHECK --interval=3s CMD ["true"]
SHELL ["/bin/bash", "-c"]
ONBUILD RUN touch /x
VOLUME ["/v1", "/v2"]
`
	img, _ := mustBuild(t, b, df, "", func(o *BuildOptions) { o.Tags = []string{"meta:1"}; o.Labels = map[string]string{"cli": "yes"} })
	cfg, err := parseImageConfig(img.ConfigJSON)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if !slices.Contains(c.Env, "A=1") || !slices.Contains(c.Env, "B=two words") {
		t.Errorf("env %v", c.Env)
	}
	if c.Labels["l1"] != "1" || c.Labels["l 2"] != "x" || c.Labels["cli"] != "yes" {
		t.Errorf("labels %v", c.Labels)
	}
	if _, ok := c.ExposedPorts["1/udp"]; !ok || len(c.ExposedPorts) != 2 {
		t.Errorf("ports %v", c.ExposedPorts)
	}
	// ENTRYPOINT after CMD in the same Dockerfile keeps CMD.
	if !slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "echo hi"}) || !slices.Equal(c.Entrypoint, []string{"/ep"}) {
		t.Errorf("cmd %v entrypoint %v", c.Cmd, c.Entrypoint)
	}
	if c.User != "nobody" || c.WorkingDir != "/" || c.StopSignal != "SIGKILL" || len(c.Volumes) != 2 {
		t.Errorf("config %+v", c)
	}
	if c.Healthcheck == nil || c.Healthcheck.Interval.Seconds() != 3 || !slices.Equal(c.OnBuild, []string{"RUN touch /x"}) {
		t.Errorf("healthcheck %+v onbuild %v", c.Healthcheck, c.OnBuild)
	}
	var createdBy []string
	for _, h := range cfg.History {
		if !h.EmptyLayer || h.Comment != historyComment {
			t.Errorf("history %+v should be an empty layer", h)
		}
		createdBy = append(createdBy, h.CreatedBy)
	}
	want := []string{"ARG V=1", "ENV A=1 B=two words", "LABEL l1=1 l 2=x", "EXPOSE [1/udp 80/tcp]", "USER nobody",
		"WORKDIR /", `CMD ["/bin/sh" "-c" "echo hi"]`, `ENTRYPOINT ["/ep"]`, "STOPSIGNAL SIGKILL"}
	if !slices.Equal(createdBy[:len(want)], want) {
		t.Errorf("history\n%q\nwant prefix\n%q", createdBy, want)
	}
	// An unchanged rebuild gives the same image.
	again, _ := mustBuild(t, b, df, "", func(o *BuildOptions) { o.Labels = map[string]string{"cli": "yes"} })
	if again.ID != img.ID {
		t.Errorf("rebuild made %s, want %s", again.ID, img.ID)
	}
}

func TestEntrypointResetsBaseCmd(t *testing.T) {
	b := testBuilder(t, false)
	mustBuild(t, b, "FROM scratch\nCMD [\"base\"]\n", "", func(o *BuildOptions) { o.Tags = []string{"base"} })
	img, _ := mustBuild(t, b, "FROM base\nENTRYPOINT [\"/ep\"]\n", "", nil)
	cfg, _ := parseImageConfig(img.ConfigJSON)
	if cfg.Config.Cmd != nil {
		t.Errorf("ENTRYPOINT kept the base image's CMD %v", cfg.Config.Cmd)
	}
}

func TestBuildErrors(t *testing.T) {
	b := testBuilder(t, false)
	mustBuild(t, b, "FROM --platform=$BUILDPLATFORM scratch\n", "", nil)
	cases := []struct{ df, want string }{
		{"FROM nope-not-here\n", "failed to resolve source metadata"},
		{"FROM scratch\nSTOPSIGNAL NOTASIG\n", "Dockerfile:2"},
		{"FROM scratch\nRUN --mount=type=nope,target=/x true\n", "Dockerfile:2: RUN --mount=type=nope"},
		{"FROM scratch\nCOPY a b\n", "needs a build context"},
		{"FROM scratch\nRUN --security=insecure true\n", "RUN --security is not supported"},
		{"FROM --platform=linux/s390x scratch\n", "only the host's platform"},
	}
	for _, c := range cases {
		_, _, err := tryBuild(t, b, c.df, "", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.df, err, c.want)
		}
	}
	_, _, err := tryBuild(t, b, "FROM scratch\n", "", func(o *BuildOptions) { o.Target = "x" })
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("unknown target: %v", err)
	}
	_, _, err = tryBuild(t, b, "FROM scratch\n", "", func(o *BuildOptions) { o.Platform = "linux/s390x" })
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("foreign platform: %v", err)
	}
}
