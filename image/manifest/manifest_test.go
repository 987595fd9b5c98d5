package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var d1 = digest.FromString("1")

func TestDetectAndParse(t *testing.T) {
	m := `"config":{"mediaType":"%s","digest":"` + d1.String() + `","size":1},"layers":[{"mediaType":"x","digest":"` + d1.String() + `","size":2}]`
	cases := []struct {
		name, doc, wantMT string
		manifest, index   bool
		wantErr           error
	}{
		{"oci manifest", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` + strings.Replace(m, "%s", ocispec.MediaTypeImageConfig, 1) + `}`, ocispec.MediaTypeImageManifest, true, false, nil},
		{"oci manifest without mediaType", `{"schemaVersion":2,` + strings.Replace(m, "%s", ocispec.MediaTypeImageConfig, 1) + `}`, ocispec.MediaTypeImageManifest, true, false, nil},
		{"docker manifest", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifest + `",` + strings.Replace(m, "%s", MediaTypeDockerConfig, 1) + `}`, MediaTypeDockerManifest, true, false, nil},
		{"oci index", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, ocispec.MediaTypeImageIndex, false, true, nil},
		{"oci index without mediaType", `{"schemaVersion":2,"manifests":[{"mediaType":"` + ocispec.MediaTypeImageManifest + `","digest":"` + d1.String() + `","size":3}]}`, ocispec.MediaTypeImageIndex, false, true, nil},
		{"docker list", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifestList + `","manifests":[]}`, MediaTypeDockerManifestList, false, true, nil},
		{"schema1", `{"schemaVersion":1,"name":"x","fsLayers":[]}`, MediaTypeDockerSchema1, false, false, errdefs.ErrInvalid},
		{"garbage", `not json`, "", false, false, errdefs.ErrInvalid},
		{"empty object", `{}`, "", false, false, errdefs.ErrInvalid},
		{"bad layer digest", `{"schemaVersion":2,"config":{"digest":"` + d1.String() + `","size":1},"layers":[{"digest":"sha256:nope","size":1}]}`, ocispec.MediaTypeImageManifest, true, false, errdefs.ErrInvalid},
		{"schemaVersion 3", `{"schemaVersion":3,"config":{"digest":"` + d1.String() + `","size":1}}`, ocispec.MediaTypeImageManifest, true, false, errdefs.ErrInvalid},
	}
	for _, c := range cases {
		mt, err := Detect([]byte(c.doc))
		if mt != c.wantMT {
			t.Errorf("%s: Detect = %q %v, want %q", c.name, mt, err, c.wantMT)
		}
		var perr error
		switch {
		case c.manifest:
			var got ocispec.Manifest
			got, perr = ParseManifest([]byte(c.doc))
			if perr == nil && got.MediaType != c.wantMT {
				t.Errorf("%s: MediaType %q", c.name, got.MediaType)
			}
		case c.index:
			var got ocispec.Index
			got, perr = ParseIndex([]byte(c.doc))
			if perr == nil && got.MediaType != c.wantMT {
				t.Errorf("%s: MediaType %q", c.name, got.MediaType)
			}
		default:
			_, perr = ParseManifest([]byte(c.doc))
		}
		if (c.wantErr == nil) != (perr == nil) || (c.wantErr != nil && !errors.Is(perr, c.wantErr)) {
			t.Errorf("%s: parse error %v, want %v", c.name, perr, c.wantErr)
		}
	}
	if _, err := ParseIndex([]byte(`{"schemaVersion":2,"config":{"digest":"` + d1.String() + `"}}`)); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("manifest parsed as index: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	m := ocispec.Manifest{Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: d1, Size: 1},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d1, Size: 2}}}
	b, desc, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != digest.FromBytes(b) || desc.MediaType != ocispec.MediaTypeImageManifest || desc.Size != int64(len(b)) {
		t.Fatalf("descriptor %+v", desc)
	}
	got, err := ParseManifest(b)
	if err != nil || got.SchemaVersion != 2 || got.Layers[0].Digest != d1 {
		t.Fatalf("%+v %v", got, err)
	}
	m.MediaType = MediaTypeDockerManifest
	_, desc, _ = Marshal(m)
	if desc.MediaType != MediaTypeDockerManifest {
		t.Fatalf("docker manifest media type %q", desc.MediaType)
	}
	m.MediaType = "text/plain"
	if _, _, err := Marshal(m); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad media type: %v", err)
	}
	_, idesc, err := MarshalIndex(ocispec.Index{Manifests: []ocispec.Descriptor{desc}})
	if err != nil || idesc.MediaType != ocispec.MediaTypeImageIndex {
		t.Fatalf("index %+v %v", idesc, err)
	}
}

func plat(s string) *ocispec.Platform {
	p, err := ParsePlatform(s)
	if err != nil {
		panic(err)
	}
	return &p
}

func TestSelectPlatform(t *testing.T) {
	entry := func(p string, n string) ocispec.Descriptor {
		d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString(n), Size: 1}
		if p != "" {
			d.Platform = plat(p)
		}
		return d
	}
	multi := ocispec.Index{Manifests: []ocispec.Descriptor{
		entry("linux/arm/v6", "armv6"), entry("linux/arm/v7", "armv7"), entry("linux/arm64", "arm64"),
		entry("linux/amd64", "amd64"), entry("windows/amd64", "win"), entry("linux/386", "386"),
	}}
	cases := []struct {
		idx  ocispec.Index
		want string // platform
		pick string // entry name, "" for not found
	}{
		{multi, "linux/amd64", "amd64"},
		{multi, "linux/x86_64", "amd64"},
		{multi, "linux/arm64/v8", "arm64"},
		{multi, "linux/arm/v7", "armv7"},
		{multi, "linux/arm/v6", "armv6"},
		{multi, "linux/arm/v8", "armv7"}, // best compatible lower variant
		{multi, "linux/arm/v5", ""},
		{multi, "windows/amd64", "win"},
		{multi, "linux/s390x", ""},
		{ocispec.Index{Manifests: []ocispec.Descriptor{entry("", "only")}}, "linux/amd64", "only"},
		{ocispec.Index{Manifests: []ocispec.Descriptor{entry("linux/arm64", "arm"), {MediaType: "application/vnd.in-toto+json", Digest: d1}}}, "linux/amd64", ""},
	}
	for _, c := range cases {
		got, err := SelectPlatform(c.idx, *plat(c.want))
		if c.pick == "" {
			if !errors.Is(err, errdefs.ErrNotFound) {
				t.Errorf("%s: got %v %v, want ErrNotFound", c.want, got.Digest, err)
			}
			continue
		}
		if err != nil || got.Digest != digest.FromString(c.pick) {
			t.Errorf("%s: got %v %v, want %s", c.want, got.Digest, err, c.pick)
		}
	}
	if p := DefaultPlatform(); FormatPlatform(p) != "linux/amd64" && p.Architecture == "amd64" {
		t.Errorf("DefaultPlatform %v", p)
	}
	if _, err := ParsePlatform("linux"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("ParsePlatform(linux): %v", err)
	}
}
