package emukit

import (
	"time"

	"go.uber.org/zap"
)

// Options are what every emulator's Options begin with (embedded): what
// `orgbridge emulate` and a test set alike, whatever the emulator.
type Options struct {
	// Readings are the readings of the emulator's document served besides
	// the default (names from its Readings, checked with Readings.Parse);
	// nil serves the default reading of every place.
	Readings Set
	// RateLimit is requests per minute per client IP; negative means
	// unlimited. What 0 means is the emulator's document's limit (each
	// emulator's Options say which; most documents give none).
	RateLimit int
	// Faults are injected from the first request on; see SetFaults.
	Faults Faults
	// Now is the clock of tokens, rate-limit windows and timestamps; nil
	// is time.Now.
	Now func() time.Time
	// Logger logs each request; nil is a nop.
	Logger *zap.Logger
}
