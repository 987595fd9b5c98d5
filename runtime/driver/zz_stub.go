package driver

// TEMPORARY stubs: the owner replaces them. Must be gone before commit.

import "errors"

var errNotYet = errors.New("not implemented yet")

func newOnggi(root string) (Driver, error)            { return nil, errNotYet }
func newExternal(binary, root string) (Driver, error) { return nil, errNotYet }
func mountRootfs(target string, ms []Mount) error     { return errNotYet }
func unmountRootfs(target string) error               { return errNotYet }
func setSubreaper() error                             { return errNotYet }
