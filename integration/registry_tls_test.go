package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeServerCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeServerCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "onggi-test-registry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	writeFile(t, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return cert, key
}

func TestRegistryTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeServerCert(t, dir)
	addr := freeAddr(t)
	serve := exec.Command(onggiBin, "registry", "serve", "--listen", addr, "--storage", t.TempDir(), "--tls-cert", cert, "--tls-key", key)
	log := tempFile(t)
	serve.Stdout, serve.Stderr = log, log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Signal(os.Interrupt); _ = serve.Wait() })
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := insecure.Get("https://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TLS registry did not start: %s", readBack(t, log))
		}
	}
	certs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(certs, addr), 0o755); err != nil {
		t.Fatal(err)
	}
	ca, _ := os.ReadFile(cert)
	writeFile(t, filepath.Join(certs, addr, "ca.crt"), string(ca))

	a := newImageCLI(t)
	a.bootstrapBusybox()
	ref := addr + "/secure/busybox:1"
	a.ok("tag", "busybox", ref)
	if r := a.run("push", "--cert-dir", t.TempDir(), ref); r.code == 0 {
		t.Fatalf("push to a registry with an unknown CA succeeded: %v", r)
	}
	a.ok("push", "--cert-dir", certs, ref)
	b := newImageCLI(t)
	b.ok("pull", "--cert-dir", certs, ref)
	newImageCLI(t).ok("pull", "--tls-verify=false", ref)
}

func TestRegistryServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	r := runCmd(t, exec.Command(onggiBin, "registry", "serve", "--listen", "0.0.0.0:0", "--storage", t.TempDir()))
	if r.code == 0 || !strings.Contains(r.stderr, "loopback") {
		t.Fatalf("plain HTTP on 0.0.0.0: %v", r)
	}
}
