package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/onggi/onggi/image/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestApplyChanges(t *testing.T) {
	tests := []struct {
		change string
		check  func(RunConfig) bool
	}{
		{`CMD ["sh", "-c", "echo hi"]`, func(c RunConfig) bool { return reflect.DeepEqual(c.Cmd, []string{"sh", "-c", "echo hi"}) }},
		{`cmd echo hi there`, func(c RunConfig) bool { return reflect.DeepEqual(c.Cmd, []string{"/bin/sh", "-c", "echo hi there"}) }},
		{`ENTRYPOINT ["/init"]`, func(c RunConfig) bool { return reflect.DeepEqual(c.Entrypoint, []string{"/init"}) }},
		{`ENV A=1 B="two words" C=x\ y`, func(c RunConfig) bool {
			return reflect.DeepEqual(c.Env, []string{"A=1", "B=two words", "C=x y"})
		}},
		{`ENV LEGACY some value`, func(c RunConfig) bool { return reflect.DeepEqual(c.Env, []string{"LEGACY=some value"}) }},
		{`EXPOSE 80 53/udp 8000-8001`, func(c RunConfig) bool {
			return len(c.ExposedPorts) == 4 && has(c.ExposedPorts, "80/tcp") && has(c.ExposedPorts, "53/udp") && has(c.ExposedPorts, "8001/tcp")
		}},
		{`LABEL a=b "c d"='e f'`, func(c RunConfig) bool { return c.Labels["a"] == "b" && c.Labels["c d"] == "e f" }},
		{`USER nobody:nogroup`, func(c RunConfig) bool { return c.User == "nobody:nogroup" }},
		{`WORKDIR /srv/app`, func(c RunConfig) bool { return c.WorkingDir == "/srv/app" }},
		{`VOLUME ["/data", "/logs"]`, func(c RunConfig) bool { return has(c.Volumes, "/data") && has(c.Volumes, "/logs") }},
		{`VOLUME /a /b`, func(c RunConfig) bool { return has(c.Volumes, "/a") && has(c.Volumes, "/b") }},
		{`STOPSIGNAL SIGINT`, func(c RunConfig) bool { return c.StopSignal == "SIGINT" }},
		{`ONBUILD RUN echo built`, func(c RunConfig) bool { return reflect.DeepEqual(c.OnBuild, []string{"RUN echo built"}) }},
	}
	for _, tt := range tests {
		var c RunConfig
		if err := ApplyChanges(&c, []string{tt.change}); err != nil {
			t.Errorf("%s: %v", tt.change, err)
			continue
		}
		if !tt.check(c) {
			t.Errorf("%s: got %+v", tt.change, c)
		}
	}
}

func has(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }

func TestApplyChangesErrors(t *testing.T) {
	for _, change := range []string{"RUN echo", "FROM busybox", "EXPOSE 70000", "EXPOSE 80/xyz", "LABEL novalue",
		`ENV A="unterminated`, "ONBUILD FROM x", "USER", ""} {
		var c RunConfig
		if err := ApplyChanges(&c, []string{change}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%q: err = %v, want invalid", change, err)
		}
	}
}

func TestWorkdirRelative(t *testing.T) {
	var c RunConfig
	if err := ApplyChanges(&c, []string{"WORKDIR /a", "WORKDIR b"}); err != nil || c.WorkingDir != "/a/b" {
		t.Fatalf("workdir %q, %v", c.WorkingDir, err)
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	raw := layerTar(t, map[string]string{"etc/hostname": "x", "bin/true": "#!"})
	var z bytes.Buffer
	zw, _ := zstd.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	s := newStore(t)
	imp, err := Import(ctx, bytes.NewReader(z.Bytes()), s, ImportOptions{Changes: []string{`CMD ["/bin/true"]`, "ONBUILD RUN x"}, Source: "-"})
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	mraw, _ := s.ReadAll(imp.Manifest.Digest, 0)
	json.Unmarshal(mraw, &m)
	if len(m.Layers) != 1 || m.Layers[0].MediaType != ocispec.MediaTypeImageLayerZstd || m.Layers[0].Digest != digest.FromBytes(z.Bytes()) {
		t.Fatalf("manifest %s", mraw)
	}
	var cfg ConfigFile
	craw, _ := s.ReadAll(imp.Config.Digest, 0)
	json.Unmarshal(craw, &cfg)
	if cfg.RootFS.DiffIDs[0] != digest.FromBytes(raw) {
		t.Errorf("diff ID %s, want %s", cfg.RootFS.DiffIDs[0], digest.FromBytes(raw))
	}
	if !reflect.DeepEqual(cfg.Config.Cmd, []string{"/bin/true"}) || len(cfg.Config.OnBuild) != 1 || cfg.History[0].Comment != "Imported from -" {
		t.Errorf("config %s", craw)
	}
}

func TestImportRejectsNonTar(t *testing.T) {
	for name, data := range map[string][]byte{"text": bytes.Repeat([]byte("not a tar "), 100), "empty": nil} {
		if _, err := Import(context.Background(), bytes.NewReader(data), newStore(t), ImportOptions{}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}
