package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// transport builds the HTTP transport for registry host (host[:port]),
// with Docker's certs.d conventions:
//
//	<dir>/<host>/*.crt          extra CA certificates
//	<dir>/<host>/<name>.cert    client certificate, with <name>.key
func (c *Client) transport(host string) (http.RoundTripper, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if !c.tlsVerify {
		cfg.InsecureSkipVerify = true //nolint:gosec // the user asked: --tls-verify=false
	}
	for _, dir := range c.certsDirs {
		if err := loadCertsDir(cfg, filepath.Join(dir, host)); err != nil {
			return nil, err
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	tr.MaxIdleConnsPerHost = 16
	if c.isInsecure(host) && speaksTLS(host, cfg) {
		return &upgradeToHTTPS{base: tr}, nil
	}
	return tr, nil
}

// go-containerregistry addresses loopback registries with http:// URLs
// whatever they speak. A loopback registry that completes a TLS handshake
// (`onggi registry serve --tls-cert` on 127.0.0.1) is spoken to over
// HTTPS instead, so certificates are still checked there.
type upgradeToHTTPS struct{ base http.RoundTripper }

func (u *upgradeToHTTPS) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" {
		r = r.Clone(r.Context())
		r.URL.Scheme = "https"
	}
	return u.base.RoundTrip(r)
}

// speaksTLS probes host with a TLS handshake (verification left to the
// real connection, which uses cfg).
func speaksTLS(host string, cfg *tls.Config) bool {
	if _, _, err := net.SplitHostPort(host); err != nil {
		host += ":443"
	}
	probe := cfg.Clone()
	probe.InsecureSkipVerify = true //nolint:gosec // only asks "is this TLS?"
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", host, probe)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

func loadCertsDir(cfg *tls.Config, dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil // no certificates for this registry
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".crt"):
			pem, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("reading CA %s: %w", p, err)
			}
			if cfg.RootCAs == nil {
				if cfg.RootCAs, err = x509.SystemCertPool(); err != nil || cfg.RootCAs == nil {
					cfg.RootCAs = x509.NewCertPool()
				}
			}
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return fmt.Errorf("CA %s: no certificates found", p)
			}
		case strings.HasSuffix(e.Name(), ".cert"):
			key := strings.TrimSuffix(p, ".cert") + ".key"
			pair, err := tls.LoadX509KeyPair(p, key)
			if err != nil {
				return fmt.Errorf("client certificate %s: %w", p, err)
			}
			cfg.Certificates = append(cfg.Certificates, pair)
		}
	}
	return nil
}
