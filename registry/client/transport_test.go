package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCertsDir checks Docker's certs.d convention: a registry with a
// private CA is refused until its CA is in <dir>/<host:port>/ca.crt, and
// --tls-verify=false accepts it without.
func TestCertsDir(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	get := func(c *Client) error {
		tr, err := c.transport(host)
		if err != nil {
			return err
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	dir := t.TempDir()
	if err := get(New(nil, WithCertsDirs(dir))); err == nil {
		t.Fatal("unknown CA accepted")
	}
	if err := get(New(nil, WithCertsDirs(dir), WithTLSVerify(false))); err != nil {
		t.Fatalf("--tls-verify=false: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, host), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, host, "ca.crt"), caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := get(New(nil, WithCertsDirs(dir))); err != nil {
		t.Fatalf("CA from certs.d: %v", err)
	}
	// A client key pair is picked up too.
	certPEM, keyPEM := selfSigned(t)
	_ = os.WriteFile(filepath.Join(dir, host, "client.cert"), certPEM, 0o644)
	_ = os.WriteFile(filepath.Join(dir, host, "client.key"), keyPEM, 0o600)
	tr, err := New(nil, WithCertsDirs(dir)).transport(host)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := tr.(*upgradeToHTTPS); ok {
		tr = u.base
	}
	if n := len(tr.(*http.Transport).TLSClientConfig.Certificates); n != 1 {
		t.Fatalf("%d client certificates loaded", n)
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
