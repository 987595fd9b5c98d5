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

func wantBlkio(r *specs.LinuxResources) bool {
	b := r.BlockIO
	return b != nil && (b.Weight != nil || b.LeafWeight != nil || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0)
}

// setBlkioV1 writes weights to the CFQ files (blkio.weight, ...) when the
// kernel has them and to BFQ's (blkio.bfq.weight) otherwise: CFQ was
// removed in Linux 5.0 and BFQ took its place. BFQ has no leaf weight.
func setBlkioV1(dir string, r *specs.LinuxResources) error {
	b := r.BlockIO
	weightFile, weightDevFile := "blkio.weight", "blkio.weight_device"
	if !exists(dir, weightFile) && exists(dir, "blkio.bfq.weight") {
		weightFile, weightDevFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil && *b.Weight != 0 { // 0 means unset (dockerd always sends it), as runc reads it
		if err := writeFile(dir, weightFile, strconv.Itoa(int(*b.Weight))); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := writeFile(dir, "blkio.leaf_weight", strconv.Itoa(int(*b.LeafWeight))); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil {
			if err := writeFile(dir, weightDevFile, fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.Weight)); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil {
			if err := writeFile(dir, "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.LeafWeight)); err != nil {
				return err
			}
		}
	}
	throttles := []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			if err := writeFile(dir, t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// blkioStatsV1 reads the CFQ recursive counters when present, else the
// BFQ ones, else the throttle ones (always there, only counting throttled
// devices' I/O), as runc does.
func blkioStatsV1(dir string, s *Stats) error {
	prefix := "blkio.throttle."
	switch {
	case exists(dir, "blkio.io_service_bytes_recursive"):
		prefix = "blkio."
	case exists(dir, "blkio.bfq.io_service_bytes_recursive"):
		prefix = "blkio.bfq."
	}
	files := []struct {
		name string
		dst  *[]BlkioEntry
	}{
		{"io_service_bytes_recursive", &s.Blkio.IoServiceBytesRecursive},
		{"io_serviced_recursive", &s.Blkio.IoServicedRecursive},
		{"io_queued_recursive", &s.Blkio.IoQueuedRecursive},
		{"io_service_time_recursive", &s.Blkio.IoServiceTimeRecursive},
		{"io_wait_time_recursive", &s.Blkio.IoWaitTimeRecursive},
		{"io_merged_recursive", &s.Blkio.IoMergedRecursive},
		{"time_recursive", &s.Blkio.IoTimeRecursive},
		{"sectors_recursive", &s.Blkio.SectorsRecursive},
	}
	for _, f := range files {
		if !exists(dir, prefix+f.name) {
			continue
		}
		entries, err := parseBlkioFile(filepath.Join(dir, prefix+f.name))
		if err != nil {
			return err
		}
		*f.dst = entries
	}
	return nil
}

// parseBlkioFile parses "maj:min Op value" lines (or "maj:min value" for
// time/sectors); the closing "Total n" line is dropped.
func parseBlkioFile(p string) ([]BlkioEntry, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading blkio stats: %w", err)
	}
	defer f.Close()
	var out []BlkioEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] == "Total" {
			continue
		}
		var e BlkioEntry
		if _, err := fmt.Sscanf(fields[0], "%d:%d", &e.Major, &e.Minor); err != nil {
			return nil, fmt.Errorf("parsing device %q in %s: %w", fields[0], p, err)
		}
		val := fields[1]
		if len(fields) >= 3 {
			e.Op, val = fields[1], fields[2]
		}
		if e.Value, err = strconv.ParseUint(val, 10, 64); err != nil {
			return nil, fmt.Errorf("parsing %q in %s: %w", val, p, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
