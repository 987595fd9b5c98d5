// Command onggi is the whole container engine in one binary. Invoked as
// onggi-runc it is a runc-compatible OCI runtime; invoked under a registered
// helper name (see reexec) it is that helper.
package main

import (
	"os"
	"path/filepath"

	"github.com/onggi/onggi/cli"
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime"
)

func main() {
	registerHelpers()
	if reexec.Init() {
		return
	}
	if filepath.Base(os.Args[0]) == "onggi-runc" {
		os.Exit(cli.Execute(cli.NewRuncCmd()))
	}
	os.Exit(cli.Execute(cli.NewRootCmd()))
}

// registerHelpers lists the re-executed helpers (container init, nsenter,
// monitor). Registration happens here, not in package init functions.
func registerHelpers() {
	runtime.RegisterHelpers(reexec.Register)
	engine.RegisterHelpers(reexec.Register)
}
