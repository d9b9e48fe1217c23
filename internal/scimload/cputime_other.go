//go:build !unix

package scimload

import "time"

func cpuTime() time.Duration { return 0 }
