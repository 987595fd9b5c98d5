package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/opencontainers/go-digest"
)

// blobClient returns an HTTP client authenticated for pulling from repo
// (go-containerregistry's token or Basic transport).
func (c *Client) blobClient(ctx context.Context, repo name.Repository) (*http.Client, error) {
	tr, err := c.transport(repo.RegistryStr())
	if err != nil {
		return nil, err
	}
	auth, err := c.keychain.Resolve(repo)
	if err != nil {
		return nil, err
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, tr, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt}, nil
}

// resumingReader streams a blob and, when the connection drops part-way,
// asks again for the rest with a Range request, so the content store sees
// one continuous stream (and verifies its digest at the end) and a dropped
// connection costs only the bytes not yet received.
type resumingReader struct {
	ctx     context.Context
	client  *http.Client
	url     string
	size    int64 // expected length, -1 if unknown
	off     int64
	body    io.ReadCloser
	retries int
}

func newResumingReader(ctx context.Context, client *http.Client, repo name.Repository, d digest.Digest, size int64, retries int) *resumingReader {
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), d)
	return &resumingReader{ctx: ctx, client: client, url: u, size: size, retries: retries}
}

var errUnexpectedStatus = errors.New("unexpected status")

func (r *resumingReader) open() error {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return err
	}
	if r.off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(r.off, 10)+"-")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	switch {
	case r.off > 0 && resp.StatusCode == http.StatusPartialContent:
	case resp.StatusCode == http.StatusOK:
		// A server that ignores Range resends everything: skip what we have.
		if _, err := io.CopyN(io.Discard, resp.Body, r.off); err != nil {
			resp.Body.Close()
			return err
		}
	default:
		resp.Body.Close()
		return fmt.Errorf("GET %s: %w: %s", r.url, errUnexpectedStatus, resp.Status)
	}
	r.body = resp.Body
	return nil
}

func (r *resumingReader) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			if err := r.open(); err != nil {
				if r.retries > 0 && r.ctx.Err() == nil && !errors.Is(err, errUnexpectedStatus) {
					r.retries--
					continue
				}
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == nil || (err == io.EOF && (r.size < 0 || r.off >= r.size)) {
			return n, err
		}
		_ = r.body.Close()
		r.body = nil
		if r.retries == 0 || r.ctx.Err() != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		r.retries--
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resumingReader) Close() error {
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}
