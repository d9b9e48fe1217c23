package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
)

// Options configure the admin handler.
type Options struct {
	Store  store.Store
	Daemon *scheduler.Daemon
	// Token guards everything but /healthz, /readyz and (with
	// MetricsPublic) /metrics.
	Token         string
	MetricsPublic bool
	// Metrics serves /metrics.
	Metrics http.Handler
	// ReadyMaxFailedAge: /readyz fails when a job's last run failed and
	// it has not succeeded for this long.
	ReadyMaxFailedAge time.Duration
	Replica           string
	Logger            *zap.Logger
	Now               func() time.Time
	// Check runs the loaded config's connector checks, as `orgbridge
	// validate --connect` does (POST /api/validate); nil: the route
	// answers 501.
	Check func(ctx context.Context) []connectors.Line
}

// Handler serves the admin API and the status page.
type Handler struct {
	opts Options
	mux  *http.ServeMux
	// routes are the mux's patterns, in order: TestOpenAPI checks that
	// openapi.json documents each.
	routes []string
}

// handle registers pattern on the mux and notes it in routes.
func (h *Handler) handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
	h.routes = append(h.routes, pattern)
}

// runsShown is how many runs of a job the status page and chart show.
const runsShown = 30

// New makes the admin handler.
func New(opts Options) (*Handler, error) {
	if opts.Token == "" {
		return nil, errors.New("admin: a token is required")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{opts: opts, mux: http.NewServeMux()}
	h.handle("GET /healthz", http.HandlerFunc(h.healthz))
	h.handle("GET /readyz", http.HandlerFunc(h.readyz))
	if opts.Metrics != nil {
		if opts.MetricsPublic {
			h.handle("GET /metrics", opts.Metrics)
		} else {
			h.handle("GET /metrics", h.auth(opts.Metrics.ServeHTTP))
		}
	}
	h.handle("GET /api/jobs", h.auth(h.jobs))
	h.handle("POST /api/jobs/{name}/run", h.auth(sameOrigin(h.trigger)))
	h.handle("GET /api/runs", h.auth(h.runs))
	h.handle("GET /api/runs/{id}", h.auth(h.run))
	h.handle("GET /api/approvals", h.auth(h.approvals))
	h.handle("POST /api/approvals/{id}/{decision}", h.auth(sameOrigin(h.decide)))
	h.handle("POST /api/validate", h.auth(sameOrigin(h.validate)))
	h.handle("GET /api/openapi.json", http.HandlerFunc(h.openAPI))
	h.handle("GET /explain", h.auth(h.explain))
	h.handle("GET /runs/{id}", h.auth(h.runPage))
	h.handle("GET /{$}", h.auth(h.status))
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// auth accepts the token as a bearer token, or as the password of HTTP
// Basic auth (any user), so that a browser can open the status page.
func (h *Handler) auth(next http.HandlerFunc) http.Handler {
	want := []byte(h.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got string
		if _, pass, ok := r.BasicAuth(); ok {
			got = pass
		} else if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			got = strings.TrimSpace(tok)
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="orgbridge admin", charset="UTF-8"`)
			writeJSON(w, http.StatusUnauthorized, errorJSON{"the admin token is required (bearer, or as the HTTP Basic password)"})
			return
		}
		next(w, r)
	})
}

// sameOrigin refuses a POST that a browser sent from another site: the
// status page's forms ride on the browser's Basic credentials, which a
// cross-site form would carry too. Clients other than browsers send
// neither header and pass.
func sameOrigin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		site := r.Header.Get("Sec-Fetch-Site")
		crossSite := site != "" && site != "same-origin" && site != "none"
		if o := r.Header.Get("Origin"); o != "" && o != "null" {
			if u, err := url.Parse(o); err != nil || u.Host != r.Host {
				crossSite = true
			}
		}
		if crossSite {
			writeJSON(w, http.StatusForbidden, errorJSON{"cross-site request refused"})
			return
		}
		next(w, r)
	}
}

// who names the person behind a request for the record of a decision: the
// admin token has no user, so it is the HTTP Basic user name the browser
// sent with it, or "api" for a bearer token (or a Basic one without a
// name).
func who(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok && strings.TrimSpace(user) != "" {
		return strings.TrimSpace(user)
	}
	return "api"
}

// writeError answers an error as errorJSON.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorJSON{err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// healthz says the process is alive. With ?verbose it also says, per job,
// whether it is quarantined and which records it holds back: the process
// stays healthy (a restart would fix neither), so the answer is 200 either
// way.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	if _, verbose := r.URL.Query()["verbose"]; !verbose || h.opts.Daemon == nil {
		writeJSON(w, http.StatusOK, healthJSON{Status: "ok"})
		return
	}
	leader := h.opts.Daemon.IsLeader()
	out := healthJSON{Status: "ok", Leader: &leader, Jobs: []jobHealth{}}
	for _, info := range h.opts.Daemon.Jobs() {
		out.Jobs = append(out.Jobs, newJobHealth(info))
	}
	writeJSON(w, http.StatusOK, out)
}

// healthJSON answers /healthz: leader and jobs only with ?verbose.
type healthJSON struct {
	Status string      `json:"status"`
	Leader *bool       `json:"leader,omitempty"`
	Jobs   []jobHealth `json:"jobs,omitempty"`
}

// readyJSON answers /readyz.
type readyJSON struct {
	Status   string   `json:"status"` // "ready" or "not ready"
	Problems []string `json:"problems,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// jobHealth is one job's state as /healthz?verbose shows it.
type jobHealth struct {
	Name             string     `json:"name"`
	Running          bool       `json:"running"`
	Quarantined      bool       `json:"quarantined"`
	QuarantineReason string     `json:"quarantine_reason"`
	QuarantineUntil  *time.Time `json:"quarantine_until"` // null unless quarantined
	RetryingLater    int        `json:"retrying_later"`
	HeldBack         int        `json:"held_back"`
	// HeldBackRecords are the records held back, at most heldListed.
	HeldBackRecords []heldJSON `json:"held_back_records"`
}

type heldJSON struct {
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// heldListed bounds the held-back records a health answer lists.
const heldListed = 100

func newJobHealth(info scheduler.JobInfo) jobHealth {
	j := jobHealth{Name: info.Name, Running: info.Running, Quarantined: info.Quarantined, RetryingLater: info.RetryingLater,
		HeldBack: len(info.HeldBack), HeldBackRecords: []heldJSON{}}
	if info.Quarantined {
		j.QuarantineReason = info.QuarantineReason
		j.QuarantineUntil = stamp(info.QuarantineUntil)
	}
	for _, l := range info.HeldBack[:min(len(info.HeldBack), heldListed)] {
		j.HeldBackRecords = append(j.HeldBackRecords, heldJSON{Kind: string(l.Kind), Key: l.Key, Reason: l.Reason})
	}
	return j
}

// readyz is ready when the store answers, no job is quarantined and no
// job's last run failed with its last success (or, lacking one, its first
// failure) older than ReadyMaxFailedAge. Records held back (left out
// because they cannot be mapped) leave it ready, since every other record
// is synced, but are named in its answer.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var problems, warnings []string
	if _, err := h.opts.Store.Runs(ctx, "", 1); err != nil {
		problems = append(problems, "store: "+err.Error())
	} else if h.opts.Daemon != nil {
		for _, info := range h.opts.Daemon.Jobs() {
			if info.Quarantined {
				problems = append(problems, fmt.Sprintf("job %s: quarantined until %s: %s", info.Name, info.QuarantineUntil.UTC().Format(time.RFC3339), info.QuarantineReason))
			} else if p := h.stale(ctx, info.Name); p != "" {
				problems = append(problems, p)
			}
			if n := len(info.HeldBack); n > 0 {
				warnings = append(warnings, fmt.Sprintf("job %s: %d record(s) held back: they cannot be mapped (first: %s %s: %s)", info.Name, n, info.HeldBack[0].Kind, info.HeldBack[0].Key, info.HeldBack[0].Reason))
			}
		}
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, readyJSON{Status: "not ready", Problems: problems, Warnings: warnings})
		return
	}
	writeJSON(w, http.StatusOK, readyJSON{Status: "ready", Warnings: warnings})
}

func (h *Handler) stale(ctx context.Context, job string) string {
	runs, err := h.opts.Store.Runs(ctx, job, 200)
	if err != nil {
		return fmt.Sprintf("job %s: %v", job, err)
	}
	// Runs come newest first: since ends as the start of the oldest
	// failure of the current streak.
	var since time.Time
streak:
	for _, run := range runs {
		switch run.Status {
		case store.RunRunning, store.RunDryRun:
		case store.RunFailed, store.RunInterrupted:
			since = run.StartedAt
		default:
			break streak
		}
	}
	if len(runs) == 0 || since.IsZero() {
		return ""
	}
	if age := h.opts.Now().Sub(since); age > h.opts.ReadyMaxFailedAge {
		return fmt.Sprintf("job %s: failing since %s (%s)", job, since.Format(time.RFC3339), age.Round(time.Second))
	}
	return ""
}

func (h *Handler) jobs(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jobsJSON{Leader: h.opts.Daemon.IsLeader(), Replica: h.opts.Replica, Jobs: jsonList(h.opts.Daemon.Jobs(), toJobJSON)})
}

// trigger starts a run: POST /api/jobs/{name}/run[?dry_run=true][&incremental=true].
func (h *Handler) trigger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	q := r.URL.Query()
	opts := scheduler.RunOptions{DryRun: truthy(q.Get("dry_run")), Incremental: truthy(q.Get("incremental"))}
	err := h.opts.Daemon.Trigger(name, opts, scheduler.TriggerManual)
	switch {
	case errors.Is(err, scheduler.ErrUnknownJob):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, scheduler.ErrBusy):
		writeError(w, http.StatusConflict, err)
	case errors.Is(err, scheduler.ErrNotLeader):
		writeError(w, http.StatusServiceUnavailable, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		h.opts.Logger.Info("run triggered over HTTP", zap.String("job", name), zap.Bool("dry_run", opts.DryRun), zap.Bool("incremental", opts.Incremental))
		writeJSON(w, http.StatusAccepted, triggerJSON{Job: name, Started: true, DryRun: opts.DryRun, Incremental: opts.Incremental})
	}
}

func truthy(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

// runs lists runs: GET /api/runs[?job=NAME][&limit=N] (default 50).
func (h *Handler) runs(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, errorJSON{"limit: a positive integer is required"})
			return
		}
		limit = n
	}
	runs, err := h.opts.Store.Runs(r.Context(), r.URL.Query().Get("job"), limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, runsJSON{Runs: jsonList(runs, toRunJSON)})
}

// run shows one run with every change and error: GET /api/runs/{id}.
func (h *Handler) run(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorJSON{"run id: an integer is required"})
		return
	}
	run, entries, err := h.opts.Store.Run(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorJSON{fmt.Sprintf("no run %d", id)})
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, runDetailJSON{Run: toRunJSON(run), Changes: jsonList(entries, toEntryJSON)})
}

// approvals lists the held plans, each with its changes and their seqs,
// from the store: every replica lists the same.
func (h *Handler) approvals(w http.ResponseWriter, r *http.Request) {
	pending, err := h.opts.Daemon.Pending(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, approvalsJSON{Pending: jsonList(pending, toApprovalJSON)})
}

// errNoneSelected: "approve selected" with no change ticked.
var errNoneSelected = errors.New("no change selected: tick the changes to approve, or approve the whole plan")

// approvalSeqs reads which changes of a held plan to approve: nil for all
// of them; from JSON {"seqs": [1, 3]}, or from a form's seq fields (the
// status page's checkboxes) when it says only=1.
func approvalSeqs(r *http.Request) ([]int, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Seqs *[]int `json:"seqs"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("body: %w", err)
		}
		if body.Seqs == nil {
			return nil, nil
		}
		if len(*body.Seqs) == 0 {
			return nil, errNoneSelected
		}
		return *body.Seqs, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	if r.PostForm.Get("only") == "" {
		return nil, nil
	}
	var seqs []int
	for _, v := range r.PostForm["seq"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("seq %q: an integer is required", v)
		}
		seqs = append(seqs, n)
	}
	if len(seqs) == 0 {
		return nil, errNoneSelected
	}
	return seqs, nil
}

// decide approves or rejects a held plan: POST /api/approvals/{id}/approve
// (the whole plan, or the seqs given: see approvalSeqs) or /reject. A
// browser's form post is sent back to the status page.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorJSON{"run id: an integer is required"})
		return
	}
	by := who(r)
	var job string
	var seqs []int
	switch d := r.PathValue("decision"); d {
	case "approve":
		if seqs, err = approvalSeqs(r); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		job, err = h.opts.Daemon.Approve(r.Context(), id, seqs, by)
	case "reject":
		job, err = h.opts.Daemon.Reject(r.Context(), id, by)
	default:
		writeJSON(w, http.StatusNotFound, errorJSON{fmt.Sprintf("%q: approve or reject", d)})
		return
	}
	switch {
	case errors.Is(err, scheduler.ErrNoApproval), errors.Is(err, scheduler.ErrUnknownJob):
		writeError(w, http.StatusNotFound, err)
		return
	case errors.Is(err, scheduler.ErrSavedPlan):
		writeError(w, http.StatusBadRequest, err)
		return
	case errors.Is(err, scheduler.ErrBusy):
		writeError(w, http.StatusConflict, err)
		return
	case errors.Is(err, scheduler.ErrNotLeader):
		writeError(w, http.StatusServiceUnavailable, err)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	h.opts.Logger.Info("held plan decided", zap.String("job", job), zap.Int64("run_id", id), zap.String("decision", r.PathValue("decision")), zap.Ints("seqs", seqs), zap.String("by", by))
	if strings.Contains(r.Header.Get("Accept"), "text/html") || r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, decisionJSON{Job: job, RunID: id, Decision: r.PathValue("decision"), Seqs: seqs, By: by})
}

// failedShown bounds the failed operations on the status page.
const failedShown = 50

// statusData gathers what the status page shows.
func (h *Handler) statusData(ctx context.Context) (StatusData, error) {
	d := StatusData{Now: h.opts.Now(), Replica: h.opts.Replica, Leader: h.opts.Daemon.IsLeader()}
	var failedRuns []store.Run
	for _, info := range h.opts.Daemon.Jobs() {
		runs, err := h.opts.Store.Runs(ctx, info.Name, runsShown)
		if err != nil {
			return d, fmt.Errorf("runs of %s: %w", info.Name, err)
		}
		d.Jobs = append(d.Jobs, JobView{JobInfo: info, Runs: runs})
		for _, run := range runs {
			if run.Failed > 0 {
				failedRuns = append(failedRuns, run)
			}
		}
	}
	sort.Slice(failedRuns, func(i, j int) bool { return failedRuns[i].ID > failedRuns[j].ID })
	leftShown := map[string]bool{}
	for _, run := range failedRuns {
		if len(d.Failed) >= failedShown {
			break
		}
		_, entries, err := h.opts.Store.Run(ctx, run.ID)
		if err != nil {
			return d, fmt.Errorf("run %d: %w", run.ID, err)
		}
		for _, e := range entries {
			if e.Change.Action == scheduler.ActionLeaveOut {
				// Each run journals what it holds back again: the
				// newest entry of a record stands for the older ones.
				k := run.Job + "\x00" + string(e.Change.Kind) + "\x00" + e.Change.Key
				if leftShown[k] {
					continue
				}
				leftShown[k] = true
			}
			if e.Status == store.EntryFailed && len(d.Failed) < failedShown {
				d.Failed = append(d.Failed, FailedOp{Job: run.Job, RunID: run.ID, At: e.UpdatedAt, Action: string(e.Change.Action),
					Kind: string(e.Change.Kind), Key: e.Change.Key, Error: e.Error})
			}
		}
	}
	pending, err := h.opts.Daemon.Pending(ctx)
	if err != nil {
		return d, fmt.Errorf("held plans: %w", err)
	}
	d.Pending = pending
	return d, nil
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	d, err := h.statusData(r.Context())
	if err != nil {
		http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := renderStatus(w, d); err != nil {
		h.opts.Logger.Error("render the status page", zap.Error(err))
	}
}

// validate runs the loaded config's connector checks, as `orgbridge
// validate --connect` does (each job's source and target connect and read
// one page; nothing is written), and answers one JSON object per check
// and line (application/x-ndjson), 200 whether checks pass or fail: each
// line says.
func (h *Handler) validate(w http.ResponseWriter, r *http.Request) {
	if h.opts.Check == nil {
		writeJSON(w, http.StatusNotImplemented, errorJSON{"this listener has no config to check"})
		return
	}
	lines := h.opts.Check(r.Context())
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	failed := 0
	for _, l := range lines {
		if l.Err != nil {
			failed++
		}
		if err := enc.Encode(toCheckJSON(l)); err != nil {
			return // the client went away
		}
	}
	h.opts.Logger.Info("connector checks over HTTP", zap.Int("checks", len(lines)), zap.Int("failed", failed))
}
