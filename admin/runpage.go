package admin

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// RunData is what a run's page (/runs/{id}) shows.
type RunData struct {
	Now     time.Time
	Replica string
	// TimeZone is the run's job's schedule zone ("" or unknown: the
	// machine's, Now's location).
	TimeZone string
	Run      store.Run
	Entries  []store.JournalEntry
	// Held: the run's plan waits for approval (the page offers it);
	// HeldChanges are its changes (a refused run journals none).
	Held        bool
	HeldChanges []scheduler.HeldChange
	// Outcome filters the changes listed: "" (all), or an entry status:
	// "applied", "failed", "pending".
	Outcome string
}

// runOutcomes are the filters of a run's changes, in the page's order.
var runOutcomes = []string{"", string(store.EntryFailed), string(store.EntryApplied), string(store.EntryPending)}

// runChangesShown bounds the changes a run's page lists (the API has all).
const runChangesShown = 2000

type runPage struct {
	CSS         template.CSS
	Replica     string
	Zone        string
	Now         statusStamp
	Run         statusRun
	Job         string
	Held        bool
	HeldChanges []scheduler.HeldChange
	Filters     []runFilter
	Outcome     string
	Changes     []runChange
	Matching    int // changes of the outcome, of which Changes lists the first
	More        int // how many of them are not listed
}

type runFilter struct {
	Label, Href string
	Count       int
	Current     bool
}

type runChange struct {
	Seq                   int
	Action, Kind, Key     string
	Status                statusBadge
	TargetID              string
	At                    statusStamp
	ErrorShort, ErrorFull string
}

func newRunPage(d RunData) runPage {
	now := d.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc := zoneOf(d.TimeZone, now.Location())
	r := d.Run
	errText := r.Error
	if r.Status == store.RunRefused {
		errText = webReason(errText)
	}
	p := runPage{
		CSS: statusCSS, Replica: d.Replica, Zone: zoneName(loc, now), Now: stampOf(now, now, loc),
		Job: r.Job, Held: d.Held, HeldChanges: d.HeldChanges, Outcome: d.Outcome,
		Run: statusRun{
			ID: r.ID, Mode: r.Mode, Status: badgeOf(r.Status), Started: stampOf(r.StartedAt, now, loc),
			Duration: runDuration(r, now), Planned: r.Planned, Applied: r.Applied, Failed: r.Failed,
			Summary: r.Summary, ErrorShort: errText, ErrorFull: errText, Note: runNote(r, d.Held, loc),
		},
	}
	counts := map[string]int{"": len(d.Entries)}
	for _, e := range d.Entries {
		counts[string(e.Status)]++
	}
	for _, o := range runOutcomes {
		label, href := o, "?outcome="+o
		if o == "" {
			label, href = "all", "?outcome=all"
		}
		p.Filters = append(p.Filters, runFilter{Label: label, Href: href, Count: counts[o], Current: o == d.Outcome})
	}
	for _, e := range d.Entries {
		if d.Outcome != "" && string(e.Status) != d.Outcome {
			continue
		}
		p.Matching++
		if len(p.Changes) >= runChangesShown {
			continue
		}
		p.Changes = append(p.Changes, runChange{
			Seq: e.Seq, Action: string(e.Change.Action), Kind: string(e.Change.Kind), Key: e.Change.Key,
			Status: entryBadge(e.Status), TargetID: e.TargetID, At: stampOf(e.UpdatedAt, now, loc),
			ErrorShort: truncate(e.Error, statusOpErrLen), ErrorFull: e.Error,
		})
	}
	p.More = p.Matching - len(p.Changes)
	return p
}

func entryBadge(s store.EntryStatus) statusBadge {
	switch s {
	case store.EntryApplied:
		return statusBadge{Label: "applied", Class: "st-succeeded"}
	case store.EntryFailed:
		return statusBadge{Label: "failed", Class: "st-failed"}
	}
	return statusBadge{Label: string(s), Class: "st-other"}
}

// renderRun writes a run's page.
func renderRun(w io.Writer, d RunData) error {
	return renderPage(w, runTmpl, newRunPage(d))
}

// runPage serves /runs/{id}[?outcome=failed|applied|pending]: the run and
// its changes, in its job's zone.
func (h *Handler) runPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "run id: an integer is required", http.StatusBadRequest)
		return
	}
	outcome := r.URL.Query().Get("outcome")
	switch outcome {
	case "", "all":
		outcome = ""
	case string(store.EntryFailed), string(store.EntryApplied), string(store.EntryPending):
	default:
		http.Error(w, fmt.Sprintf("outcome %q: failed, applied, pending or all", outcome), http.StatusBadRequest)
		return
	}
	run, entries, err := h.opts.Store.Run(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, fmt.Sprintf("no run %d", id), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "run: "+err.Error(), http.StatusInternalServerError)
		return
	}
	d := RunData{Now: h.opts.Now(), Replica: h.opts.Replica, Run: run, Entries: entries, Outcome: outcome}
	if h.opts.Daemon != nil {
		for _, info := range h.opts.Daemon.Jobs() {
			if info.Name == run.Job {
				d.TimeZone = info.TimeZone
			}
		}
		if run.Status == store.RunRefused && run.Decision.Verdict == "" {
			pending, err := h.opts.Daemon.Pending(r.Context())
			if err != nil {
				http.Error(w, "held plans: "+err.Error(), http.StatusInternalServerError)
				return
			}
			for _, p := range pending {
				if p.RunID != id {
					continue
				}
				d.Held, d.HeldChanges = true, p.Changes
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := renderRun(w, d); err != nil {
		h.opts.Logger.Error("render a run page", zap.Int64("run_id", id), zap.Error(err))
	}
}
