// Package volume owns named volumes of the local driver: a directory
// <root>/volumes/<name>/_data (or a tmpfs/bind described by -o options) that
// outlives any container. It returns mounts as data; the runtime mounts them.
//
// It must not import runtime, image, builder, engine, cli, api or compose.
package volume
