// Package bootstrap makes base images without a registry, from what Debian
// installs locally: busybox from the busybox-static package, and Debian
// itself with debootstrap. The results are stored in the content store under
// the names Docker Hub uses (the caller tags them), so Dockerfiles that start
// FROM busybox or FROM debian:bookworm work offline.
//
// The busybox image is reproducible: its entries are sorted and carry the
// binary's mtime, so two bootstraps from one binary give the same digests.
// The Debian layer is cached under the onggi root, so a second bootstrap is
// instant. The package uses image/content, image/layer and image/archive
// only; it must not import engine/ or cli/.
package bootstrap
