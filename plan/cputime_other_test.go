//go:build !unix

package plan_test

import "time"

// cpuTime is 0: the platform does not say.
func cpuTime() time.Duration { return 0 }
