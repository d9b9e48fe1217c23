package emukit

import (
	"net/http"
	"reflect"
	"testing"
)

// TestControls: an emulator's embedded Controls read, reset and fault the
// kit it came from.
func TestControls(t *testing.T) {
	k := New(testConfig(newClock()))
	var server struct{ Controls }
	server.Controls = k.Controls()
	serve(k, ok(k), http.MethodPost, "")
	want := Stats{Requests: 1, Writes: 1, ByRoute: map[string]int{"POST /things": 1}}
	if st := server.Stats(); !reflect.DeepEqual(st, want) {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	server.ResetStats()
	if st := k.Stats(); !reflect.DeepEqual(st, Stats{ByRoute: map[string]int{}}) {
		t.Fatalf("after reset %+v", st)
	}
	server.SetFaults(Faults{Rate5xx: 1, Seed: 1})
	if code := serve(k, ok(k), http.MethodGet, "").Code; code != http.StatusInternalServerError {
		t.Fatalf("status %d under Rate5xx 1, want 500", code)
	}
	if st := server.Stats(); st.Faulted != 1 {
		t.Fatalf("stats %+v, want one faulted", st)
	}
}
