package configs

import "embed"

// Files holds demo.yaml and the demo/ sample data.
//
//go:embed demo.yaml demo
var Files embed.FS
