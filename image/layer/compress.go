package layer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/onggi/onggi/image/errdefs"
)

// Compression is a layer's compression.
type Compression int

// Compressions onggi reads and writes.
const (
	Uncompressed Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "uncompressed"
}

var (
	gzipMagic = []byte{0x1f, 0x8b, 0x08}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// DetectCompression reads the compression from a stream's first bytes.
func DetectCompression(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return Gzip
	case bytes.HasPrefix(head, zstdMagic):
		return Zstd
	}
	return Uncompressed
}

// Decompress returns the uncompressed stream of r, whatever its compression.
// Decompression runs on its own goroutine, a few MiB ahead of the reader, so
// inflating and writing files overlap on separate cores.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, Uncompressed, fmt.Errorf("reading layer header: %w", err)
	}
	c := DetectCompression(head)
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, fmt.Errorf("layer: %w: gzip: %v", errdefs.ErrInvalid, err)
		}
		return readAhead(zr, zr.Close), c, nil
	case Zstd:
		// zstd decodes concurrently by itself.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, c, fmt.Errorf("layer: %w: zstd: %v", errdefs.ErrInvalid, err)
		}
		return zstdCloser{zr}, c, nil
	}
	return io.NopCloser(br), c, nil
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// Compress wraps w so that what is written to the result comes out
// compressed with c. Close flushes (it does not close w).
func Compress(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case Zstd:
		return zstd.NewWriter(w)
	case Uncompressed:
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("compression %d: %w", c, errdefs.ErrInvalid)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
