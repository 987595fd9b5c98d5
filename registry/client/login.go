package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrLoginFailed classes credentials the registry refused.
var ErrLoginFailed = errors.New("login failed")

// ConfigKeychain reads credentials from the Docker config.json in dir
// ("" = $DOCKER_CONFIG or ~/.docker): "auths" entries and credential
// helpers (credsStore, credHelpers), as docker does.
type ConfigKeychain struct{ Dir string }

var _ authn.Keychain = ConfigKeychain{}

// Resolve implements authn.Keychain.
func (k ConfigKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	cf, err := k.load()
	if err != nil {
		return nil, err
	}
	ac, err := cf.GetAuthConfig(serverKey(res.RegistryStr()))
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", res.RegistryStr(), err)
	}
	if ac == (types.AuthConfig{ServerAddress: ac.ServerAddress}) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}), nil
}

func (k ConfigKeychain) load() (*configfile.ConfigFile, error) {
	dir := k.Dir
	if dir == "" {
		dir = config.Dir()
	}
	cf, err := config.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reading docker config in %s: %w", dir, err)
	}
	return cf, nil
}

// serverKey is the config.json key for a registry: Docker Hub keeps its
// historical "https://index.docker.io/v1/".
func serverKey(reg string) string {
	switch reg {
	case "", name.DefaultRegistry, "docker.io", "registry-1.docker.io":
		return authn.DefaultAuthKey
	}
	return reg
}

// Login checks user/password against registry (host[:port], "" for Docker
// Hub) and saves them in the Docker config in dir ("" = default).
func (c *Client) Login(ctx context.Context, registry, user, password, dir string) error {
	if registry == "" {
		registry = name.DefaultRegistry
	}
	reg, err := name.NewRegistry(registry, c.nameOptions(registry)...)
	if err != nil {
		return fmt.Errorf("%w: registry %q: %w", ErrInvalidReference, registry, err)
	}
	if err := c.checkLogin(ctx, reg, user, password); err != nil {
		return err
	}
	cf, err := ConfigKeychain{Dir: dir}.load()
	if err != nil {
		return err
	}
	key := serverKey(reg.RegistryStr())
	if err := cf.GetCredentialsStore(key).Store(types.AuthConfig{Username: user, Password: password, ServerAddress: key}); err != nil {
		return fmt.Errorf("saving credentials for %s: %w", registry, err)
	}
	return cf.Save()
}

// checkLogin authenticates against /v2/ the way docker login does: for a
// Bearer registry by obtaining a token with the credentials, for a Basic
// one by an authenticated request.
func (c *Client) checkLogin(ctx context.Context, reg name.Registry, user, password string) error {
	tr, err := c.transport(reg.RegistryStr())
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	rt, err := transport.NewWithContext(ctx, reg, auth, tr, nil)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrLoginFailed, reg.RegistryStr(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrLoginFailed, reg.RegistryStr(), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s: %s", ErrLoginFailed, reg.RegistryStr(), resp.Status)
	}
	return nil
}

// Logout removes the saved credentials for registry.
func Logout(registry, dir string) (bool, error) {
	cf, err := ConfigKeychain{Dir: dir}.load()
	if err != nil {
		return false, err
	}
	key := serverKey(registry)
	if _, ok := cf.AuthConfigs[key]; !ok && cf.CredentialsStore == "" && cf.CredentialHelpers[key] == "" {
		return false, nil
	}
	if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
		return false, fmt.Errorf("removing credentials for %s: %w", registry, err)
	}
	return true, cf.Save()
}
