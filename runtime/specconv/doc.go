// Package specconv makes and adjusts OCI runtime configs: the default
// config.json that `onggi runtime spec` writes (the same as `runc spec`'s)
// and its rootless variant. It imports no other onggi package.
package specconv
