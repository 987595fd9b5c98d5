package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/spf13/pflag"
)

// Flag value types with docker's syntax and type names ("list", "bytes",
// "decimal", …) so --help reads like docker's. docker/cli's own opts
// package would pull in its API client module, which onggi does not carry.

var (
	_ pflag.Value = (*listValue)(nil)
	_ pflag.Value = (*checkedList)(nil)
	_ pflag.Value = (*mapValue)(nil)
	_ pflag.Value = (*memBytes)(nil)
	_ pflag.Value = (*memSwapBytes)(nil)
	_ pflag.Value = (*nanoCPUs)(nil)
	_ pflag.Value = (*ulimitValue)(nil)
	_ pflag.Value = (*mountValue)(nil)
)

// listValue is a repeatable flag that does not split on commas.
type listValue []string

func (l *listValue) Set(s string) error { *l = append(*l, s); return nil }
func (l *listValue) String() string {
	if len(*l) == 0 {
		return "" // pflag then shows no "(default [])"
	}
	return "[" + strings.Join(*l, " ") + "]"
}
func (l *listValue) Type() string { return "list" }

// checkedList is a listValue whose values are checked as they are set, so
// an error names the flag (pflag's "invalid argument … for … flag").
type checkedList struct {
	listValue
	check func(string) error
}

func (l *checkedList) Set(s string) error {
	if err := l.check(s); err != nil {
		return err
	}
	return l.listValue.Set(s)
}

// checkEnv is docker's only check of -e: a name before any "=".
func checkEnv(s string) error {
	if k, _, _ := strings.Cut(s, "="); k == "" {
		return fmt.Errorf("invalid environment variable: %s", s)
	}
	return nil
}

// checkLabel is docker's check of -l: a name without blanks.
func checkLabel(s string) error {
	k, _, _ := strings.Cut(s, "=")
	k = strings.TrimLeft(k, " \t")
	if k == "" {
		return fmt.Errorf("invalid label '%s': empty name", s)
	}
	if strings.ContainsAny(k, " \t") {
		return fmt.Errorf("label '%s' contains whitespaces", k)
	}
	return nil
}

// mapValue is a repeatable key=value flag (--sysctl, --annotation); the
// sysctl one checks docker's allow-list.
type mapValue struct {
	m        map[string]string
	validate func(string) error
}

func (v *mapValue) Set(s string) error {
	if v.validate != nil {
		if err := v.validate(s); err != nil {
			return err
		}
	}
	if v.m == nil {
		v.m = map[string]string{}
	}
	k, val, _ := strings.Cut(s, "=")
	v.m[k] = val
	return nil
}
func (v *mapValue) String() string {
	if len(v.m) == 0 {
		return ""
	}
	return fmt.Sprintf("%v", v.m)
}
func (v *mapValue) Type() string { return "map" }

// validateSysctl is docker's client-side allow-list of namespaced sysctls.
func validateSysctl(s string) error {
	k, _, ok := strings.Cut(s, "=")
	if ok && k != "" {
		switch k {
		case "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
			"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced":
			return nil
		}
		if strings.HasPrefix(k, "net.") || strings.HasPrefix(k, "fs.mqueue.") {
			return nil
		}
	}
	return fmt.Errorf("sysctl '%s' is not allowed", s)
}

// memBytes is a size with docker's units (k, m, g; binary multiples).
type memBytes int64

func (m *memBytes) Set(s string) error {
	n, err := units.RAMInBytes(s)
	*m = memBytes(n)
	return err
}

func (m *memBytes) String() string {
	if *m == 0 {
		return "0"
	}
	return units.BytesSize(float64(*m))
}
func (m *memBytes) Type() string { return "bytes" }

// memSwapBytes is memBytes that also takes -1 (unlimited swap).
type memSwapBytes int64

func (m *memSwapBytes) Set(s string) error {
	if s == "-1" {
		*m = -1
		return nil
	}
	var b memBytes
	err := b.Set(s)
	*m = memSwapBytes(b)
	return err
}

func (m *memSwapBytes) String() string { b := memBytes(*m); return b.String() }
func (m *memSwapBytes) Type() string   { return "bytes" }

// nanoCPUs is --cpus: a decimal number of CPUs stored in billionths.
type nanoCPUs int64

func (c *nanoCPUs) Set(s string) error {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return fmt.Errorf("failed to parse %v as a rational number", s)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return errors.New("value is too precise")
	}
	*c = nanoCPUs(nano.Num().Int64())
	return nil
}

func (c *nanoCPUs) String() string {
	if *c == 0 {
		return ""
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}
func (c *nanoCPUs) Type() string { return "decimal" }

// ulimitValue is --ulimit name=soft[:hard]; a later one for the same name
// replaces the earlier, as docker's.
type ulimitValue struct {
	names  []string
	limits map[string]*ctypes.Ulimit
}

func (u *ulimitValue) Set(s string) error {
	l, err := units.ParseUlimit(s)
	if err != nil {
		return err
	}
	if u.limits == nil {
		u.limits = map[string]*ctypes.Ulimit{}
	}
	if _, ok := u.limits[l.Name]; !ok {
		u.names = append(u.names, l.Name)
	}
	u.limits[l.Name] = l
	return nil
}

func (u *ulimitValue) list() []*ctypes.Ulimit {
	var out []*ctypes.Ulimit
	for _, n := range u.names {
		out = append(out, u.limits[n])
	}
	return out
}

func (u *ulimitValue) String() string {
	if len(u.names) == 0 {
		return ""
	}
	var s []string
	for _, l := range u.list() {
		s = append(s, l.String())
	}
	return "[" + strings.Join(s, " ") + "]"
}
func (u *ulimitValue) Type() string { return "ulimit" }

func parseInt(s string) (int, error) { return strconv.Atoi(s) }

// mountValue is --mount's CSV syntax (type=bind|volume|tmpfs, source,
// target, readonly, bind-propagation, bind-recursive, volume-nocopy,
// volume-subpath, volume-opt, volume-label, tmpfs-size, tmpfs-mode).
type mountValue struct{ mounts []mount.Mount }

func (v *mountValue) String() string { return "" }
func (v *mountValue) Type() string   { return "mount" }

func (v *mountValue) Set(value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return errors.New("value is empty")
	}
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	m := mount.Mount{Type: mount.TypeVolume}
	for _, field := range fields {
		if err := setMountField(&m, field); err != nil {
			return err
		}
	}
	if err := validateMount(&m); err != nil {
		return err
	}
	v.mounts = append(v.mounts, m)
	return nil
}

// setMountField applies one key[=value] of --mount.
func setMountField(m *mount.Mount, field string) error {
	key, val, hasValue := strings.Cut(field, "=")
	if k := strings.TrimSpace(key); k != key {
		return fmt.Errorf("invalid option '%s' in '%s': option should not have whitespace", k, field)
	}
	if hasValue && strings.TrimSpace(val) == "" {
		return fmt.Errorf("invalid value for '%s': value is empty", key)
	}
	key = strings.ToLower(key)
	if !hasValue {
		switch key {
		case "readonly", "ro", "volume-nocopy", "bind-create-src":
		default:
			return fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
	}
	var err error
	switch key {
	case "type":
		m.Type = mount.Type(strings.ToLower(val))
	case "source", "src":
		m.Source = val
		if !filepath.IsAbs(val) && strings.HasPrefix(val, ".") {
			if abs, aerr := filepath.Abs(val); aerr == nil {
				m.Source = abs
			}
		}
	case "target", "dst", "destination":
		m.Target = val
	case "readonly", "ro":
		m.ReadOnly, err = parseMountBool(key, val, hasValue)
	case "consistency":
		m.Consistency = mount.Consistency(strings.ToLower(val))
	case "bind-propagation":
		bindOpts(m).Propagation = mount.Propagation(strings.ToLower(val))
	case "bind-recursive":
		err = setBindRecursive(m, val)
	case "bind-create-src":
		bindOpts(m).CreateMountpoint, err = parseMountBool(key, val, hasValue)
	default:
		return setMountVolumeField(m, key, val, hasValue, field)
	}
	return err
}

// setMountVolumeField applies the volume-* and tmpfs-* keys of --mount.
func setMountVolumeField(m *mount.Mount, key, val string, hasValue bool, field string) error {
	var err error
	switch key {
	case "volume-subpath":
		volOpts(m).Subpath = val
	case "volume-nocopy":
		volOpts(m).NoCopy, err = parseMountBool(key, val, hasValue)
	case "volume-label":
		o := volOpts(m)
		o.Labels = setKV(o.Labels, val)
	case "volume-driver":
		volDriver(m).Name = val
	case "volume-opt":
		d := volDriver(m)
		d.Options = setKV(d.Options, val)
	case "tmpfs-size":
		n, perr := units.RAMInBytes(val)
		if perr != nil {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
		tmpfsOpts(m).SizeBytes = n
	case "tmpfs-mode":
		n, perr := strconv.ParseUint(val, 8, 32)
		if perr != nil {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
		tmpfsOpts(m).Mode = os.FileMode(n)
	default:
		return fmt.Errorf("unknown option '%s' in '%s'", key, field)
	}
	return err
}

func setBindRecursive(m *mount.Mount, val string) error {
	switch val {
	case "enabled":
	case "disabled":
		bindOpts(m).NonRecursive = true
	case "writable":
		bindOpts(m).ReadOnlyNonRecursive = true
	case "readonly":
		bindOpts(m).ReadOnlyForceRecursive = true
	default:
		return fmt.Errorf(`invalid value for bind-recursive: %s (must be "enabled", "disabled", "writable", or "readonly")`, val)
	}
	return nil
}

func parseMountBool(key, val string, hasValue bool) (bool, error) {
	if !hasValue {
		return true, nil
	}
	switch strings.ToLower(val) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf(`invalid value for '%s': invalid boolean value (%q): must be one of "true", "1", "false", or "0" (default "true")`, key, val)
}

// validateMount rejects options that do not belong to the mount's type.
func validateMount(m *mount.Mount) error {
	if m.Target == "" {
		return errors.New("target is required")
	}
	if m.BindOptions != nil && m.Type != mount.TypeBind {
		return fmt.Errorf("cannot mix 'bind-*' options with mount type '%s'", m.Type)
	}
	if m.VolumeOptions != nil && m.Type != mount.TypeVolume {
		return fmt.Errorf("cannot mix 'volume-*' options with mount type '%s'", m.Type)
	}
	if m.TmpfsOptions != nil && m.Type != mount.TypeTmpfs {
		return fmt.Errorf("cannot mix 'tmpfs-*' options with mount type '%s'", m.Type)
	}
	if m.BindOptions != nil && m.BindOptions.ReadOnlyNonRecursive && !m.ReadOnly {
		return errors.New("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction")
	}
	if m.BindOptions != nil && m.BindOptions.ReadOnlyForceRecursive && !m.ReadOnly {
		return errors.New("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction")
	}
	return nil
}

func bindOpts(m *mount.Mount) *mount.BindOptions {
	if m.BindOptions == nil {
		m.BindOptions = &mount.BindOptions{}
	}
	return m.BindOptions
}

func volOpts(m *mount.Mount) *mount.VolumeOptions {
	if m.VolumeOptions == nil {
		m.VolumeOptions = &mount.VolumeOptions{}
	}
	return m.VolumeOptions
}

func volDriver(m *mount.Mount) *mount.Driver {
	o := volOpts(m)
	if o.DriverConfig == nil {
		o.DriverConfig = &mount.Driver{}
	}
	return o.DriverConfig
}

func tmpfsOpts(m *mount.Mount) *mount.TmpfsOptions {
	if m.TmpfsOptions == nil {
		m.TmpfsOptions = &mount.TmpfsOptions{}
	}
	return m.TmpfsOptions
}

func setKV(m map[string]string, kv string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	k, v, _ := strings.Cut(kv, "=")
	m[k] = v
	return m
}
