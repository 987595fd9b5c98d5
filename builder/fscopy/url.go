package fscopy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"time"

	"github.com/onggi/onggi/errdefs"
)

// Download limits: an unreachable host fails fast; a slow body is given
// longer before the whole download is abandoned.
const (
	dialTimeout     = 10 * time.Second
	headerTimeout   = 30 * time.Second
	downloadTimeout = 10 * time.Minute
)

// downloaded is a URL fetched to a temporary file.
type downloaded struct {
	path    string    // temporary file
	name    string    // the URL path's base name, or "__unnamed__"
	modTime time.Time // Last-Modified, or zero
}

func (d *downloaded) remove() { os.Remove(d.path) }

// download fetches rawURL to a temporary file. Errors read "failed to
// download <url>: …" and wrap errdefs.ErrUnavailable (unreachable, bad
// status) or errdefs.ErrInvalid (malformed URL).
func download(rawURL string) (_ *downloaded, retErr error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "failed to download %s: %w", rawURL, err)
	}
	client := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout}).DialContext,
		TLSHandshakeTimeout:   dialTimeout,
		ResponseHeaderTimeout: headerTimeout,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "failed to download %s: %w", rawURL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrUnavailable, "failed to download %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return nil, errdefs.Errorf(errdefs.ErrUnavailable, "failed to download %s: invalid response status %d", rawURL, resp.StatusCode)
	}
	f, err := os.CreateTemp("", "onggi-add-")
	if err != nil {
		return nil, fmt.Errorf("failed to download %s: %w", rawURL, err)
	}
	d := &downloaded{path: f.Name()}
	defer func() {
		if retErr != nil {
			d.remove()
		}
	}()
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrUnavailable, "failed to download %s: %w", rawURL, err)
	}
	d.name = "__unnamed__"
	if base := path.Base(u.Path); base != "/" && base != "." {
		d.name = base
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		d.modTime = lm
	}
	return d, nil
}
