//go:build !unix

package ldap

import "time"

// cpuTime is unknown here.
func cpuTime() time.Duration { return 0 }
