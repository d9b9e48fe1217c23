package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
)

// BenchmarkSCIMPushLatency: the time from a POST /Users acknowledged by
// `orgbridge serve` (configs/scim.yaml, debounce and max_delay 200ms) to
// the user being in the AirCourse emulator, through the debounced
// incremental run; one push at a time. ms/push is the mean, p50-ms and
// max-ms the median and the worst; what is above 200 ms is the run's own
// time (read the touched users, plan, apply) and the 2 ms poll of the
// emulator.
func BenchmarkSCIMPushLatency(b *testing.B) {
	emu, srv, work := scimSetup(b)
	d := startServe(b, scimConfig(b, work, srv.URL, "200ms"))
	defer d.stop()
	push := func(i int) time.Duration {
		login := fmt.Sprintf("push%05d@example.jp", i)
		d.push("POST", "/Users", userJSON(login, fmt.Sprintf("社員 %d", i), "True", fmt.Sprint(50000+i)), 201)
		start := time.Now()
		for deadline := start.Add(time.Minute); !hasLogin(emu, login); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) { // a hang guard, not a bound on the figure
				b.Fatalf("%s: not in AirCourse after a minute", login)
			}
		}
		return time.Since(start)
	}
	push(0) // the first run also creates what the demo mapping needs once
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		lat = append(lat, push(i+1))
	}
	b.StopTimer()
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	slices.Sort(lat)
	b.ReportMetric(float64(sum)/float64(len(lat))/1e6, "ms/push")
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
}

func hasLogin(emu *emulator.Server, login string) bool {
	for _, u := range emu.State().Users {
		if u.LoginID != nil && *u.LoginID == login {
			return true
		}
	}
	return false
}
