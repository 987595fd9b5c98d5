package network

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// DefaultRoot is onggi's default --root; its instance tag is "".
const DefaultRoot = "/var/lib/onggi"

// InstanceTag distinguishes the kernel objects (nft table, default bridge)
// of onggi instances that share one kernel, such as parallel tests each
// with a temporary --root. It is "" for the default root, else the first
// 6 hex digits of sha256 of the cleaned absolute root, short enough that
// "og"+tag+"0" fits IFNAMSIZ.
func InstanceTag(root string) string {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	root = filepath.Clean(root)
	if root == DefaultRoot {
		return ""
	}
	sum := sha256.Sum256([]byte(root))
	return hex.EncodeToString(sum[:])[:6]
}
