package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/registry/client"
)

// registryClientOptions are the flags pull, push and login share.
type registryClientOptions struct {
	tlsVerify bool
	certDir   string
	quiet     bool
}

func (o *registryClientOptions) addFlags(cmd *cobra.Command, quiet bool) {
	f := cmd.Flags()
	f.BoolVar(&o.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates (false also allows plain HTTP)")
	f.StringVar(&o.certDir, "cert-dir", "", "directory of per-registry certificates (default /etc/docker/certs.d and /etc/containers/certs.d)")
	if quiet {
		f.BoolVarP(&o.quiet, "quiet", "q", false, "suppress verbose output")
	}
}

// newRegistryClient builds a client over the engine's image store. Credentials come
// from Docker's config.json ($DOCKER_CONFIG or ~/.docker), deliberately not
// from --root: `docker login` and `onggi login` then serve each other.
func newRegistryClient(cmd *cobra.Command, e *engine.Engine, o *registryClientOptions, extra ...client.Option) *client.Client {
	opts := []client.Option{client.WithTLSVerify(o.tlsVerify)}
	if o.certDir != "" {
		opts = append(opts, client.WithCertsDirs(o.certDir))
	}
	if !o.quiet {
		opts = append(opts, client.WithProgress(client.NewProgress(cmd.OutOrStdout())))
	}
	return e.Registry(append(opts, extra...)...)
}

// registryHost turns a login SERVER argument ("https://host:5000/v2/",
// "host:5000") into host[:port]; "" is Docker Hub.
func registryHost(server string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "index.docker.io", "registry-1.docker.io", "docker.io":
		return ""
	}
	return s
}
