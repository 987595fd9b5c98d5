// Package archive reads and writes image archives: the docker-archive format
// `docker save` writes (manifest.json + repositories, with the OCI image
// layout that docker 25 and later embed in the same tar) and plain OCI
// image-layout archives (oci-layout, index.json, blobs/sha256/...). It also
// turns a root filesystem tar into a one-layer image (`import`) and parses the
// Dockerfile-style `--change` lines import accepts.
//
// The package streams: Save copies blobs from the store into the tar as they
// are, and Load ingests every blob straight into the store while reading the
// tar once, so neither keeps a temporary copy of a layer. It works on content
// through the small interfaces in this package (satisfied by image.Store) and
// never names or tags images itself: it reports what an archive holds and the
// caller records the names. It must not import engine/, runtime/ or cli/.
package archive
