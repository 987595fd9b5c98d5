// Package container owns container records: what a container is (its
// docker-shaped Config and HostConfig, its State), where the record lives
// under <root>/containers/<id>, and the locks that make parallel commands on
// one root safe. It knows no processes, images or mounts; the engine wires
// those, and the monitor reports state changes through Store.Update.
//
// It must not import engine, cli, api, compose or monitor.
package container
