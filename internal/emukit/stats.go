package emukit

import "maps"

// Stats counts what an emulator was asked; each emulator's Stats is this
// type, its doc saying what the emulator counts as a write and a route.
type Stats struct {
	Requests    int // every request, whatever became of it
	Writes      int // counted by the handler with CountWrite
	RateLimited int // answered 429 by the rate limiter
	Faulted     int // answered by fault injection (429, 5xx or dropped)
	// ByRoute counts routed requests by the key the handler gives
	// CountRoute, e.g. "POST /users".
	ByRoute map[string]int
}

// Stats returns a copy of the counters.
func (k *Kit) Stats() Stats {
	k.mu.Lock()
	defer k.mu.Unlock()
	st := k.stats
	st.ByRoute = maps.Clone(k.stats.ByRoute)
	return st
}

// ResetStats sets every counter to zero.
func (k *Kit) ResetStats() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stats = Stats{ByRoute: map[string]int{}}
}

// CountRoute counts a routed request under key (Stats.ByRoute). Call it from
// a Handler, with the lock held.
func (k *Kit) CountRoute(key string) { k.stats.ByRoute[key]++ }

// CountWrite counts a write (Stats.Writes). Call it from a Handler, with
// the lock held.
func (k *Kit) CountWrite() { k.stats.Writes++ }
