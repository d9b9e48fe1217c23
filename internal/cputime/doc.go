// Package cputime reads the CPU time the process has used, which the
// benchmarks and the SCIM load generator report beside wall time: on a
// shared machine it varies far less than the wall time does.
package cputime
