//go:build !linux

package monitor

func dropTextMappings() {}
