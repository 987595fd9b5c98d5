package volume

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/onggi/onggi/errdefs"
)

// Docker's local driver options: -o type=… device=… o=…; device and type
// need each other, o needs both ("missing required option").
var requiredWith = map[string][]string{
	"device": {"type"},
	"type":   {"device"},
	"o":      {"device", "type"},
}

// validateOptions checks -o like docker's local driver, and what docker
// would only find at mount time (a bind of a missing device, a bind with
// a filesystem type) up front, so create fails rather than run.
func validateOptions(opts map[string]string) error {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := requiredWith[k]; !ok {
			return invalid("invalid option: %q", k)
		}
		for _, need := range requiredWith[k] {
			if _, ok := opts[need]; !ok {
				return invalid("missing required option: %q", need)
			}
		}
	}
	if len(opts) == 0 {
		return nil
	}
	return checkKind(opts["type"], opts["device"], splitO(opts["o"]))
}

func checkKind(typ, device string, o []string) error {
	bind := isBind(o)
	switch {
	case typ == "":
		return invalid("invalid option: type must not be empty")
	case device == "":
		return invalid("invalid option: device must not be empty")
	case bind && typ != "none":
		return invalid("invalid option: o=bind needs type=none, not %q", typ)
	case typ == "none" && !bind:
		return invalid("invalid option: type=none needs o=bind")
	case bind:
		return checkBindDevice(device)
	}
	return nil
}

// checkBindDevice wants an existing absolute host path.
func checkBindDevice(device string) error {
	if !filepath.IsAbs(device) {
		return invalid("invalid mount device %q: not an absolute path", device)
	}
	if _, err := os.Stat(device); err != nil {
		return classed(errdefs.ErrInvalid, "invalid mount device %q: %v", device, err)
	}
	return nil
}

func isBind(o []string) bool {
	return slices.Contains(o, "bind") || slices.Contains(o, "rbind")
}

// splitO splits o=a,b,c, dropping empty items.
func splitO(o string) []string {
	var out []string
	for _, s := range strings.Split(o, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// mount describes the volume as a mount. A tmpfs volume is a fresh tmpfs
// for each container that mounts it: the runtime performs mounts per
// container, so unlike docker (one tmpfs on the host shared by all users
// of the volume) two containers do not see each other's files.
func (s *Store) mount(v *Volume) (Mount, error) {
	if !validName(v.Name) {
		return Mount{}, notFound(v.Name)
	}
	typ, device, o := v.Options["type"], v.Options["device"], splitO(v.Options["o"])
	switch {
	case len(v.Options) == 0 || typ == "":
		data := s.dataPath(v.Name)
		if _, err := os.Lstat(data); err != nil {
			return Mount{}, notFound(v.Name)
		}
		return Mount{Type: "bind", Source: data, Options: []string{"rbind"}}, nil
	case isBind(o):
		if err := checkBindDevice(device); err != nil {
			return Mount{}, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		return Mount{Type: "bind", Source: device, Options: o}, nil
	}
	return Mount{Type: typ, Source: device, Options: o}, nil
}
