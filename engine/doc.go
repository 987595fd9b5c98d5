// Package engine wires onggi's subsystems together under one root: it is
// the only package that knows both images and (later) containers, networks
// and volumes, and it exposes the operations the CLI and the API server
// call. It holds little logic of its own: each operation resolves names,
// calls the subsystem that owns the work, and shapes the result the way
// docker's API does (ImageSummary, ImageInspect, ...), so cli/ and api/ only
// format.
//
// engine imports image/ and the other subsystems; nothing below it imports
// engine.
package engine
