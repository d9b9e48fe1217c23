package emukit

// Controls is what a test asks of an emulator besides its API: its Kit's
// Stats, ResetStats and SetFaults. An emulator's Server embeds it (set from
// Kit.Controls) rather than each writing out the three.
type Controls struct{ kit *Kit }

// Controls returns the Controls of k.
func (k *Kit) Controls() Controls { return Controls{kit: k} }

// Stats returns a copy of the counters.
func (c Controls) Stats() Stats { return c.kit.Stats() }

// ResetStats sets every counter to zero.
func (c Controls) ResetStats() { c.kit.ResetStats() }

// SetFaults replaces the fault settings and reseeds the fault generator
// with f.Seed.
func (c Controls) SetFaults(f Faults) { c.kit.SetFaults(f) }
