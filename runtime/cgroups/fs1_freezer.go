//go:build linux

package cgroups

import (
	"fmt"
	"time"
)

// Freeze asks the v1 freezer for FROZEN and polls freezer.state until the
// kernel reports it. FREEZING can persist when a task sits in an
// uninterruptible sleep; after a bounded wait the cgroup is thawed again
// and an error returned, so a container is never left half frozen.
func (m *fs1Manager) Freeze() error {
	dir, ok := m.paths["freezer"]
	if !ok {
		return fmt.Errorf("freezing: no freezer hierarchy is mounted: %w", ErrNotAvailable)
	}
	if err := writeFile(dir, "freezer.state", "FROZEN"); err != nil {
		return err
	}
	delay := 100 * time.Microsecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		state, err := readFile(dir, "freezer.state")
		if err != nil {
			return err
		}
		if state == "FROZEN" {
			return nil
		}
		if time.Now().After(deadline) {
			_ = writeFile(dir, "freezer.state", "THAWED")
			return fmt.Errorf("freezing %s: still %s after 10s", dir, state)
		}
		// Re-writing FROZEN retries the tasks that could not be frozen yet.
		if err := writeFile(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// Thaw writes THAWED; the v1 freezer thaws synchronously.
func (m *fs1Manager) Thaw() error {
	dir, ok := m.paths["freezer"]
	if !ok {
		return fmt.Errorf("thawing: no freezer hierarchy is mounted: %w", ErrNotAvailable)
	}
	return writeFile(dir, "freezer.state", "THAWED")
}

// Frozen reports whether freezer.state is FROZEN (FREEZING counts as not
// frozen: Freeze has not completed). Without a freezer hierarchy nothing can
// be frozen.
func (m *fs1Manager) Frozen() (bool, error) {
	dir, ok := m.paths["freezer"]
	if !ok {
		return false, nil
	}
	state, err := readFile(dir, "freezer.state")
	if err != nil {
		return false, err
	}
	return state == "FROZEN", nil
}

// Stats gathers every mounted controller's counters.
func (m *fs1Manager) Stats() (*Stats, error) {
	s := &Stats{Hugetlb: map[string]Hugetlb{}}
	if err := cpuStatsV1(m.paths["cpu"], m.paths["cpuacct"], s); err != nil {
		return nil, fmt.Errorf("cpu stats: %w", err)
	}
	if dir, ok := m.paths["cpuset"]; ok {
		if err := cpusetStats(dir, s); err != nil {
			return nil, fmt.Errorf("cpuset stats: %w", err)
		}
	}
	if dir, ok := m.paths["memory"]; ok {
		if err := memoryStatsV1(dir, s); err != nil {
			return nil, fmt.Errorf("memory stats: %w", err)
		}
	}
	if dir, ok := m.paths["pids"]; ok {
		if err := pidsStats(dir, s); err != nil {
			return nil, fmt.Errorf("pids stats: %w", err)
		}
	}
	if dir, ok := m.paths["blkio"]; ok {
		if err := blkioStatsV1(dir, s); err != nil {
			return nil, fmt.Errorf("blkio stats: %w", err)
		}
	}
	var err error
	if dir, ok := m.paths["hugetlb"]; ok {
		err = hugetlbStatsV1(dir, s)
	} else if dir := m.paths[""]; dir != "" {
		err = hugetlbStatsV2(dir, s)
	}
	if err != nil {
		return nil, fmt.Errorf("hugetlb stats: %w", err)
	}
	return s, nil
}
