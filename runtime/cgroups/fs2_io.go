//go:build linux

package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setIOV2 maps blockIO to the io controller. Weights go to io.bfq.weight
// when the BFQ scheduler is loaded (same 1..1000 scale as the spec),
// otherwise to io.weight converted to its 1..10000 scale. leafWeight has no
// cgroup2 counterpart (CFQ only) and is ignored, as runc does.
func setIOV2(dir string, r *specs.LinuxResources) error {
	b := r.BlockIO
	bfq := exists(dir, "io.bfq.weight")
	weight := func(w uint16) (string, string) {
		if bfq {
			return "io.bfq.weight", strconv.Itoa(int(w))
		}
		return "io.weight", strconv.FormatUint(BlkioWeightToIOWeight(uint64(w)), 10)
	}
	if b.Weight != nil && *b.Weight != 0 {
		file, v := weight(*b.Weight)
		if err := writeFile(dir, file, "default "+v); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight == nil {
			continue
		}
		file, v := weight(*wd.Weight)
		if err := writeFile(dir, file, fmt.Sprintf("%d:%d %s", wd.Major, wd.Minor, v)); err != nil {
			return err
		}
	}
	throttles := []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			v := "max"
			if d.Rate != 0 {
				v = strconv.FormatUint(d.Rate, 10)
			}
			if err := writeFile(dir, "io.max", fmt.Sprintf("%d:%d %s=%s", d.Major, d.Minor, t.key, v)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ioStatsV2 turns io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4
// dbytes=0 dios=0") into runc's v1-shaped entries, as runc does.
func ioStatsV2(dir string, s *Stats) error {
	p := filepath.Join(dir, "io.stat")
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("reading io stats: %w", err)
	}
	defer f.Close()
	ops := map[string]struct {
		op    string
		bytes bool
	}{
		"rbytes": {"Read", true}, "wbytes": {"Write", true}, "dbytes": {"Discard", true},
		"rios": {"Read", false}, "wios": {"Write", false}, "dios": {"Discard", false},
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		var maj, min uint64
		if _, err := fmt.Sscanf(fields[0], "%d:%d", &maj, &min); err != nil {
			return fmt.Errorf("parsing device %q in %s: %w", fields[0], p, err)
		}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			o, ok := ops[k]
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("parsing %q in %s: %w", kv, p, err)
			}
			e := BlkioEntry{Major: maj, Minor: min, Op: o.op, Value: n}
			if o.bytes {
				s.Blkio.IoServiceBytesRecursive = append(s.Blkio.IoServiceBytesRecursive, e)
			} else {
				s.Blkio.IoServicedRecursive = append(s.Blkio.IoServicedRecursive, e)
			}
		}
	}
	return sc.Err()
}
