// Package config loads and validates orgbridge's YAML configuration.
//
// Decoding is strict: an unknown key is an error that names its line.
// Validation names the offending key by its path (jobs[0].guard.
// max_delete_ratio). Every connector's settings are a typed block here,
// selected by the `type` beside it, so that strict decoding and line numbers
// cover them; each connector checks its own block's values when it opens,
// so that every rule lives in one place (the alertmanager layout). Secrets are never in the file itself: a
// Secret names an environment variable or a file, and is resolved only when
// a connector opens; its value never appears in an error or a log.
package config
