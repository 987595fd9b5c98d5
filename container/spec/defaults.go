package spec

import ctypes "github.com/moby/moby/api/types/container"

// defaultShmSize is docker's /dev/shm size (64 MiB).
const defaultShmSize = 64 << 20

func applyDefaults(hc *ctypes.HostConfig) {
	if hc.Memory > 0 && hc.MemorySwap == 0 {
		hc.MemorySwap = 2 * hc.Memory
	}
	if hc.ShmSize == 0 {
		hc.ShmSize = defaultShmSize
	}
	if hc.IpcMode == "" {
		hc.IpcMode = ctypes.IPCModePrivate
	}
	if hc.CgroupnsMode == "" {
		hc.CgroupnsMode = ctypes.CgroupnsModePrivate
	}
	if hc.OomKillDisable == nil {
		f := false
		hc.OomKillDisable = &f
	}
}
