package cli

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/onggi/onggi/registry/server"
	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

var _ = addCommand(newRegistryCmd)

func newRegistryCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run or maintain an OCI distribution registry",
	}
	cmd.AddCommand(newRegistryServeCmd(g), newRegistryGCCmd(g), newRegistryHtpasswdCmd())
	return cmd
}

type registryServeOptions struct {
	listen  string
	storage string
	config  string
	tlsCert string
	tlsKey  string
}

func defaultRegistryStorage(g *Globals) string { return filepath.Join(g.Root, "registry") }

func newRegistryServeCmd(g *Globals) *cobra.Command {
	o := &registryServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve an OCI distribution registry",
		Long: `Serve an OCI distribution-spec v1.1 registry from a directory.

Without --config every client may pull and push. With --config (JSON; see
registry/server/auth.Config) users come from an htpasswd file and repositories
are public or private per rule. Plain HTTP is only served on a loopback
address; elsewhere give --tls-cert and --tls-key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.storage == "" {
				o.storage = defaultRegistryStorage(g)
			}
			return runRegistryServe(cmd, o, g.Debug)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:5000", "address to listen on")
	f.StringVar(&o.storage, "storage", "", "storage directory (default <root>/registry)")
	f.StringVar(&o.config, "config", "", "access configuration file (JSON)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	return cmd
}

var errInsecureListen = errors.New("plain HTTP is only served on loopback addresses: give --tls-cert and --tls-key")

func runRegistryServe(cmd *cobra.Command, o *registryServeOptions, debug bool) error {
	useTLS := o.tlsCert != "" || o.tlsKey != ""
	if useTLS && (o.tlsCert == "" || o.tlsKey == "") {
		return fmt.Errorf("registry serve: --tls-cert and --tls-key go together")
	}
	if !useTLS && !isLoopback(o.listen) {
		return fmt.Errorf("registry serve on %s: %w", o.listen, errInsecureListen)
	}
	store, err := storage.New(o.storage)
	if err != nil {
		return err
	}
	logger := log.New(cmd.ErrOrStderr(), "", log.LstdFlags)
	opts := []server.Option{server.WithLogger(logger)}
	if o.config != "" {
		cfg, err := auth.LoadConfig(o.config)
		if err != nil {
			return err
		}
		a, err := auth.New(cfg)
		if err != nil {
			return err
		}
		opts = append(opts, server.WithAuth(a))
	}
	var h http.Handler = server.New(store, opts...)
	if debug {
		h = accessLog(logger, h)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("registry serve: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "registry serving %s://%s from %s\n", scheme, ln.Addr(), store.Root())
	if useTLS {
		err = srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("registry serve: %w", err)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func accessLog(l *log.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		h.ServeHTTP(rec, r)
		l.Printf("%s %s %d %s", r.Method, r.URL.RequestURI(), rec.status, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

type registryGCOptions struct {
	storage   string
	dryRun    bool
	grace     time.Duration
	uploadTTL time.Duration
}

func newRegistryGCCmd(g *Globals) *cobra.Command {
	o := &registryGCOptions{}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete blobs no manifest references",
		Long: `Delete blobs that no manifest in any repository references.

Safe to run while the registry serves: blobs modified within --grace are kept,
and every push refreshes the blobs it uploads or references.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.storage == "" {
				o.storage = defaultRegistryStorage(g)
			}
			return runRegistryGC(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.storage, "storage", "", "storage directory (default <root>/registry)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list what would be deleted, delete nothing")
	f.DurationVar(&o.grace, "grace", time.Hour, "keep blobs modified more recently than this")
	f.DurationVar(&o.uploadTTL, "upload-ttl", 24*time.Hour, "delete upload sessions idle for longer than this")
	return cmd
}

// minGrace keeps real collections safe: a client that saw a blob exist
// (HEAD refreshes blobs older than a minute) has this long to reference it.
const minGrace = 2 * time.Minute

func runRegistryGC(cmd *cobra.Command, o *registryGCOptions) error {
	if o.grace < minGrace && !o.dryRun {
		return fmt.Errorf("registry gc: --grace %s is below %s: blobs a concurrent push is about to reference could be deleted", o.grace, minGrace)
	}
	if _, err := os.Stat(filepath.Join(o.storage, "blobs")); err != nil {
		return fmt.Errorf("registry gc: %s is not a registry storage directory: %w", o.storage, err)
	}
	store, err := storage.New(o.storage)
	if err != nil {
		return err
	}
	res, err := store.GC(cmd.Context(), storage.GCOptions{
		DryRun: o.dryRun, Grace: o.grace, UploadTTL: o.uploadTTL, Log: cmd.OutOrStdout(),
	})
	if err != nil {
		return fmt.Errorf("registry gc: %w", err)
	}
	verb := "deleted"
	if o.dryRun {
		verb = "would delete"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d manifests, %d blobs kept; %s %d blobs (%d bytes) and %d stale uploads\n",
		res.Manifests, res.BlobsKept, verb, res.BlobsDeleted, res.BytesFreed, res.Uploads)
	return nil
}
