package cgroups

import "fmt"

// SharesToWeight converts v1 cpu.shares (2..262144) to v2 cpu.weight
// (1..10000) with runc's linear mapping; 0 stays 0 ("unset").
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	if shares < 2 {
		shares = 2
	}
	return 1 + ((shares-2)*9999)/262142
}

// BlkioWeightToIOWeight converts v1 blkio.weight (10..1000) to v2 io.weight
// (1..10000) as runc does; 0 stays 0.
func BlkioWeightToIOWeight(w uint64) uint64 {
	if w == 0 {
		return 0
	}
	if w < 10 {
		w = 10
	}
	return 1 + (w-10)*9999/990
}

// swapToV2 converts the OCI swap value (memory+swap, -1 unlimited) to v2's
// memory.swap.max, which counts swap alone. It returns "" when unset.
func swapToV2(swap, limit int64) (string, error) {
	switch {
	case swap == 0:
		return "", nil
	case swap < 0:
		return "max", nil
	case limit <= 0:
		return "", fmt.Errorf("memory.swap %d needs a memory limit on cgroup v2: %w", swap, ErrInvalid)
	case swap < limit:
		return "", fmt.Errorf("memory.swap %d (memory+swap) is below memory.limit %d: %w", swap, limit, ErrInvalid)
	}
	return fmt.Sprint(swap - limit), nil
}
