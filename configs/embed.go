package configs

import "embed"

// Files holds the example configs (demo.yaml for AirCourse, NAME.yaml for
// the other targets) and the demo/ sample data they read.
//
//go:embed *.yaml demo
var Files embed.FS
