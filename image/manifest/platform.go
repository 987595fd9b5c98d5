package manifest

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/onggi/onggi/image/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/cpu"
)

// DefaultPlatform is the platform this process runs on (linux/amd64 on our
// machines), with the ARM variant filled in as containerd does.
func DefaultPlatform() ocispec.Platform {
	p := ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	switch runtime.GOARCH {
	case "arm64":
		p.Variant = "v8"
	case "arm":
		p.Variant = "v7"
		if !cpu.ARM.HasVFPv3 {
			p.Variant = "v6"
		}
	}
	return p
}

// ParsePlatform reads "os/arch[/variant]" (docker's --platform).
func ParsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("platform %q: %w: expected os/arch[/variant]", s, errdefs.ErrInvalid)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: normalizeArch(parts[1])}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

func normalizeArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return a
}

// FormatPlatform is "os/arch[/variant]".
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Match reports whether an image built for have runs on want. An arm64
// image without variant matches v8; a want variant accepts lower variants
// of the same architecture (v7 runs v6 and v5), as the kernel does.
func Match(want, have ocispec.Platform) bool {
	if want.OS != have.OS || normalizeArch(want.Architecture) != normalizeArch(have.Architecture) {
		return false
	}
	wv, hv := variantOf(want), variantOf(have)
	if wv == "" || hv == "" || wv == hv {
		return true
	}
	if strings.HasPrefix(wv, "v") && strings.HasPrefix(hv, "v") && len(wv) == 2 && len(hv) == 2 {
		return hv[1] <= wv[1]
	}
	return false
}

func variantOf(p ocispec.Platform) string {
	if p.Variant == "" && normalizeArch(p.Architecture) == "arm64" {
		return "v8"
	}
	return p.Variant
}

// SelectPlatform picks the manifest of idx for want: an exact variant match
// first, then the highest compatible variant; entries without a platform
// (attestations, or a single-image index) are taken only when nothing else
// matches and they are the sole image manifest. No match is
// errdefs.ErrNotFound naming the platforms on offer.
func SelectPlatform(idx ocispec.Index, want ocispec.Platform) (ocispec.Descriptor, error) {
	best := -1
	var unplatformed []int
	for i, d := range idx.Manifests {
		if d.Platform == nil {
			if IsManifest(d.MediaType) || d.MediaType == "" {
				unplatformed = append(unplatformed, i)
			}
			continue
		}
		if !Match(want, *d.Platform) {
			continue
		}
		if best < 0 || variantOf(*d.Platform) > variantOf(*idx.Manifests[best].Platform) && variantOf(*idx.Manifests[best].Platform) != variantOf(want) {
			best = i
		}
	}
	if best >= 0 {
		return idx.Manifests[best], nil
	}
	if len(unplatformed) == 1 {
		return idx.Manifests[unplatformed[0]], nil
	}
	var offered []string
	for _, d := range idx.Manifests {
		if d.Platform != nil {
			offered = append(offered, FormatPlatform(*d.Platform))
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("no manifest for platform %s in index (offers %s): %w",
		FormatPlatform(want), strings.Join(offered, ", "), errdefs.ErrNotFound)
}
