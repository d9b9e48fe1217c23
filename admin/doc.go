// Package admin is the daemon's admin HTTP listener: health and readiness,
// Prometheus metrics, the run history and triggers as JSON, approvals of
// held plans, and a server-rendered status page at /.
package admin
