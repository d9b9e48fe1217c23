package emukit

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// Faults makes an emulator misbehave on purpose; see the package doc.
type Faults struct {
	Rate429  float64       // share answered 429
	Rate5xx  float64       // share answered one of Config.ServerErrors
	Latency  time.Duration // added to every request, real time
	Seed     int64
	RateDrop float64 // share whose connection is closed unanswered
}

// injector draws each request's fate.
type injector struct {
	f        Faults
	rng      *rand.Rand
	statuses []int
}

func newInjector(statuses []int) injector {
	if len(statuses) == 0 {
		statuses = []int{http.StatusInternalServerError}
	}
	return injector{statuses: statuses}
}

func (in *injector) set(f Faults) {
	in.f = f
	seed := uint64(f.Seed)
	in.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// draw returns the status of an injected fault, or drop; neither (0,
// false) lets the request through. The generator is not touched while every
// rate is zero.
func (in *injector) draw() (status int, drop bool) {
	f := in.f
	if f.Rate429 <= 0 && f.Rate5xx <= 0 && f.RateDrop <= 0 {
		return 0, false
	}
	x := in.rng.Float64()
	switch {
	case x < f.Rate429:
		return http.StatusTooManyRequests, false
	case x < f.Rate429+f.Rate5xx:
		return in.statuses[in.rng.IntN(len(in.statuses))], false
	case x < f.Rate429+f.Rate5xx+f.RateDrop:
		return 0, true
	}
	return 0, false
}
