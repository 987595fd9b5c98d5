// Package depcheck holds the test that keeps onggi's layering honest:
// dependencies point down only (DESIGN.md, "Boundaries").
package depcheck
