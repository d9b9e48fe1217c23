package cputime_test

import (
	"runtime"
	"testing"

	"github.com/orgbridge/orgbridge/internal/cputime"
)

// TestProcessGrowsWithWork: spinning a while adds CPU time (on unix; the
// other platforms report 0 and the test says so).
func TestProcessGrowsWithWork(t *testing.T) {
	before := cputime.Process()
	if before == 0 {
		t.Skipf("%s reports no CPU time", runtime.GOOS)
	}
	x := 0
	for i := 0; cputime.Process() == before; i++ {
		x += i // burns CPU until the clock's next tick is counted
	}
	if after := cputime.Process(); after <= before {
		t.Fatalf("CPU time went from %v to %v after work (%d)", before, after, x)
	}
}
