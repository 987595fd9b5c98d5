package archive

import (
	"bufio"
	"io"

	"github.com/onggi/onggi/image/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layerMediaType is the OCI layer media type for a layer blob so compressed.
func layerMediaType(c layer.Compression) string {
	switch c {
	case layer.Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case layer.Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// peekReader lets a caller see a stream's first bytes without consuming
// them, so the blob written to the store is the stream exactly.
type peekReader struct{ *bufio.Reader }

func newPeekReader(r io.Reader) peekReader { return peekReader{bufio.NewReaderSize(r, 64<<10)} }

func (p peekReader) head() []byte {
	b, _ := p.Peek(4) // a shorter stream is simply not compressed
	return b
}
