package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image"
)

// ErrInvalidReference classes image references the client cannot parse.
var ErrInvalidReference = errors.New("invalid reference")

// Client talks to registries on behalf of an image store.
type Client struct {
	images    *image.Store
	keychain  authn.Keychain
	certsDirs []string
	tlsVerify bool
	insecure  []string // registries (host[:port]) allowed over plain HTTP
	progress  *Progress
	jobs      int
	retries   int
	platform  *ocispec.Platform
	allPlats  bool      // pull the layers of every platform of an index
	warn      io.Writer // one-line notices (push's manifest-list fallback)
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithKeychain replaces the credential source (default: Docker's
// config.json in $DOCKER_CONFIG or ~/.docker, with credential helpers).
func WithKeychain(k authn.Keychain) Option { return func(c *Client) { c.keychain = k } }

// WithCertsDirs sets where per-registry CA and client certificates are
// looked up (default /etc/docker/certs.d and /etc/containers/certs.d).
func WithCertsDirs(dirs ...string) Option { return func(c *Client) { c.certsDirs = dirs } }

// WithTLSVerify turns certificate verification off (false) for every registry.
func WithTLSVerify(v bool) Option { return func(c *Client) { c.tlsVerify = v } }

// WithInsecureRegistries lets the named registries use plain HTTP.
func WithInsecureRegistries(hosts ...string) Option {
	return func(c *Client) { c.insecure = append(c.insecure, hosts...) }
}

// WithProgress shows per-layer progress.
func WithProgress(p *Progress) Option { return func(c *Client) { c.progress = p } }

// WithJobs sets how many layers transfer at once (default 3, docker's).
func WithJobs(n int) Option { return func(c *Client) { c.jobs = n } }

// WithPlatform picks this platform from manifest lists (default: the image
// store's platform).
func WithPlatform(p ocispec.Platform) Option { return func(c *Client) { c.platform = &p } }

// WithAllPlatforms makes Pull download the layers of every platform of a
// manifest list (pull --all-platforms, --platform all), not only the
// selected one's; the child manifests and configs are always kept.
func WithAllPlatforms() Option { return func(c *Client) { c.allPlats = true } }

// WithWarnings sets where one-line notices go (default os.Stderr), e.g.
// that push could not preserve a manifest list and sent one platform.
func WithWarnings(w io.Writer) Option { return func(c *Client) { c.warn = w } }

// New returns a Client storing into images.
func New(images *image.Store, opts ...Option) *Client {
	c := &Client{images: images, keychain: ConfigKeychain{}, tlsVerify: true, jobs: 3, retries: 3,
		certsDirs: []string{"/etc/docker/certs.d", "/etc/containers/certs.d"}, userAgent: "onggi", warn: os.Stderr}
	for _, o := range opts {
		o(c)
	}
	return c
}

// parseRef parses an image reference as docker does (docker.io, library/,
// :latest defaults).
func (c *Client) parseRef(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s, c.nameOptions(s)...)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidReference, s, err)
	}
	return ref, nil
}

func (c *Client) nameOptions(s string) []name.Option {
	host := s
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if !c.tlsVerify || c.isInsecure(host) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// isInsecure reports whether host may be spoken to over plain HTTP: an
// explicitly listed registry, or any registry on a loopback address (as
// docker allows 127.0.0.0/8 by default).
func (c *Client) isInsecure(host string) bool {
	for _, h := range c.insecure {
		if h == host {
			return true
		}
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if hostname == "localhost" {
		return true
	}
	ip := net.ParseIP(hostname)
	return ip != nil && ip.IsLoopback()
}

// remoteOptions are the go-containerregistry options for reg.
func (c *Client) remoteOptions(ctx context.Context, reg name.Registry) ([]remote.Option, error) {
	tr, err := c.transport(reg.RegistryStr())
	if err != nil {
		return nil, err
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithTransport(tr),
		remote.WithUserAgent(c.userAgent),
		remote.WithJobs(c.jobs),
		// Retry dropped connections and the statuses registries use for
		// transient trouble, with backoff.
		remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: c.retries}),
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	}, nil
}
