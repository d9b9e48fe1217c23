// Package configs holds orgbridge's example configurations and the demo's
// sample data, embedded so that `orgbridge demo` runs with nothing but the
// binary.
package configs
