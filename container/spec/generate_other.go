//go:build !linux

package spec

import (
	"errors"
	"fmt"
	"runtime"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var errNotSupported = fmt.Errorf("generating a Linux container spec on %s: %w", runtime.GOOS, errors.ErrUnsupported)

func generate(Input) (*specs.Spec, error)                      { return nil, errNotSupported }
func validate(*ctypes.Config, *ctypes.HostConfig) error        { return errNotSupported }
func resolveUser(string, string, []string) (specs.User, error) { return specs.User{}, errNotSupported }
