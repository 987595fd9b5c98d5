package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

// runcState is runc's state JSON: the OCI state plus rootfs, created and
// owner, in runc's field order (tools such as podman parse it).
type runcState struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

func newRuntimeStateCmd(rg *runtimeGlobals) *cobra.Command {
	return &cobra.Command{
		Use:   "state <container-id>",
		Short: "output the state of a container",
		Args:  needArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			st, err := containerState(rg, c)
			if err != nil {
				return err
			}
			// runc leaves owner empty here (only list fills it) and prints
			// no trailing newline.
			st.Owner = ""
			data, err := json.MarshalIndent(st, "", "  ")
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
}

// containerState gathers runc's state of c.
func containerState(rg *runtimeGlobals, c *runtime.Container) (*runcState, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	rs := &runcState{
		Version: st.Version, ID: st.ID, Pid: st.Pid, Status: string(st.Status),
		Bundle: st.Bundle, Annotations: st.Annotations,
	}
	if st.Status == specs.StateStopped {
		rs.Pid = 0
	}
	rs.Rootfs = bundleRootfs(st.Bundle)
	created, err := c.Created()
	if err != nil {
		return nil, err
	}
	rs.Created = created.UTC()
	// runc's owner is the owner of the container's state directory.
	info, _ := os.Stat(filepath.Join(absRoot(rg), st.ID))
	rs.Owner = ownerName(info)
	return rs, nil
}

// bundleRootfs is root.path of the bundle's config.json, made absolute.
func bundleRootfs(bundle string) string {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return ""
	}
	var s struct {
		Root *specs.Root `json:"root"`
	}
	if json.Unmarshal(data, &s) != nil || s.Root == nil {
		return ""
	}
	if filepath.IsAbs(s.Root.Path) {
		return s.Root.Path
	}
	return filepath.Join(bundle, s.Root.Path)
}

// ownerName is the user owning the container's state directory, as runc's
// list shows it (the uid when it has no name).
func ownerName(info os.FileInfo) string {
	uid := os.Geteuid()
	if info != nil {
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			uid = int(st.Uid)
		}
	}
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return fmt.Sprintf("#%s", id)
}

func absRoot(rg *runtimeGlobals) string {
	root, err := filepath.Abs(rg.root)
	if err != nil {
		return rg.root
	}
	return root
}
