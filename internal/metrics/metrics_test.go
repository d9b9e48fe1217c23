package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// delta runs f and returns how much c moved.
func delta(t *testing.T, c prometheus.Collector, f func()) float64 {
	t.Helper()
	before := testutil.ToFloat64(c)
	f()
	return testutil.ToFloat64(c) - before
}

func TestObserveRun(t *testing.T) {
	runs := runsTotal.WithLabelValues("t-run", "full", OutcomeSucceeded)
	if d := delta(t, runs, func() { ObserveRun("t-run", "full", OutcomeSucceeded, 3*time.Second) }); d != 1 {
		t.Errorf("runs_total moved by %v, want 1", d)
	}
	ObserveRun("t-run", "full", OutcomeFailed, 90*time.Second)
	if v := testutil.ToFloat64(runsTotal.WithLabelValues("t-run", "full", OutcomeFailed)); v != 1 {
		t.Errorf("failed runs = %v, want 1", v)
	}
	h := runDuration.WithLabelValues("t-run", "full").(prometheus.Histogram)
	m := &dtoMetric{}
	m.read(t, h)
	if m.count != 2 || m.sum != 93 {
		t.Errorf("run duration count %d sum %v, want 2 and 93", m.count, m.sum)
	}
	// A negative duration (a clock step) is recorded as zero.
	ObserveRun("t-run", "full", OutcomeInterrupted, -time.Second)
	m.read(t, h)
	if m.count != 3 || m.sum != 93 {
		t.Errorf("after a negative duration: count %d sum %v", m.count, m.sum)
	}
}

func TestSetLastSuccess(t *testing.T) {
	at := time.Unix(1700000000, 500_000_000)
	SetLastSuccess("t-last", at)
	if v := testutil.ToFloat64(lastSuccess.WithLabelValues("t-last")); v != 1700000000.5 {
		t.Errorf("last success = %v", v)
	}
}

func TestObserveChange(t *testing.T) {
	c := changesTotal.WithLabelValues("t-change", "user", "create", ResultApplied)
	if d := delta(t, c, func() {
		ObserveChange("t-change", "user", "create", ResultApplied)
		ObserveChange("t-change", "user", "create", ResultApplied)
		ObserveChange("t-change", "user", "create", ResultFailed)
	}); d != 2 {
		t.Errorf("applied changes moved by %v, want 2", d)
	}
	if v := testutil.ToFloat64(changesTotal.WithLabelValues("t-change", "user", "create", ResultFailed)); v != 1 {
		t.Errorf("failed changes = %v, want 1", v)
	}
}

func TestObserveAPIRequest(t *testing.T) {
	ObserveAPIRequest("t-api", "get", 200, nil)
	ObserveAPIRequest("t-api", http.MethodPost, 429, nil)
	ObserveAPIRequest("t-api", http.MethodPost, 0, errors.New("connection refused"))
	ObserveAPIRequest("t-api", "BREW", 500, nil)
	for _, tc := range []struct {
		method, status string
		want           float64
	}{
		{"GET", "200", 1},
		{"POST", "429", 1},
		{"POST", "error", 1},
		{"other", "500", 1},
	} {
		if v := testutil.ToFloat64(apiRequests.WithLabelValues("t-api", tc.method, tc.status)); v != tc.want {
			t.Errorf("api_requests{%s,%s} = %v, want %v", tc.method, tc.status, v, tc.want)
		}
	}
	if v := testutil.ToFloat64(apiRateLimited.WithLabelValues("t-api")); v != 1 {
		t.Errorf("rate_limited = %v, want 1", v)
	}
	if d := delta(t, apiRetries.WithLabelValues("t-api"), func() { ObserveRetry("t-api"); ObserveRetry("t-api") }); d != 2 {
		t.Errorf("retries moved by %v, want 2", d)
	}
}

func TestObserveSCIMRequest(t *testing.T) {
	ObserveSCIMRequest(http.MethodPatch, "Users", 200)
	ObserveSCIMRequest(http.MethodGet, "Groups", 404)
	ObserveSCIMRequest(http.MethodGet, "Users/1234", 200) // not a resource name
	ObserveSCIMRequest("PROPFIND", "Bulk", 401)
	for _, tc := range []struct{ method, resource, status string }{
		{"PATCH", "Users", "200"},
		{"GET", "Groups", "404"},
		{"GET", "other", "200"},
		{"other", "other", "401"},
	} {
		if v := testutil.ToFloat64(scimRequests.WithLabelValues(tc.method, tc.resource, tc.status)); v < 1 {
			t.Errorf("scim_requests{%s,%s,%s} = %v", tc.method, tc.resource, tc.status, v)
		}
	}
	// Only bounded resource values exist.
	if n := testutil.CollectAndCount(scimRequests); n > len(SCIMResources)*20 {
		t.Errorf("%d SCIM series", n)
	}
}

func TestGauges(t *testing.T) {
	SetQuarantined("t-q", true)
	if v := testutil.ToFloat64(jobQuarantined.WithLabelValues("t-q")); v != 1 {
		t.Errorf("quarantined = %v, want 1", v)
	}
	SetQuarantined("t-q", false)
	if v := testutil.ToFloat64(jobQuarantined.WithLabelValues("t-q")); v != 0 {
		t.Errorf("released = %v, want 0", v)
	}
	SetHeldBack("t-q", 2)
	if v := testutil.ToFloat64(recordsHeldBack.WithLabelValues("t-q")); v != 2 {
		t.Errorf("held back = %v, want 2", v)
	}
	SetHeldBack("t-q", 0)
	if v := testutil.ToFloat64(recordsHeldBack.WithLabelValues("t-q")); v != 0 {
		t.Errorf("held back after the fix = %v, want 0", v)
	}
	SetLeader(true)
	if v := testutil.ToFloat64(leader); v != 1 {
		t.Errorf("leader = %v, want 1", v)
	}
	SetLeader(false)
	if v := testutil.ToFloat64(leader); v != 0 {
		t.Errorf("follower = %v, want 0", v)
	}
}

func TestRegistryAndHandler(t *testing.T) {
	// Every vector has a series once touched.
	ObserveRun("t-h", "incremental", OutcomeDryRun, time.Second)
	SetLastSuccess("t-h", time.Now())
	ObserveChange("t-h", "group", "update", ResultApplied)
	ObserveAPIRequest("t-h", "GET", 429, nil)
	ObserveRetry("t-h")
	ObserveSCIMRequest("GET", "Schemas", 200)
	SetQuarantined("t-h", false)
	SetHeldBack("t-h", 1)

	if n, err := testutil.GatherAndCount(Registry(), "orgbridge_leader", "orgbridge_runs_total"); err != nil || n < 2 {
		t.Errorf("GatherAndCount = %d, %v", n, err)
	}
	if n := testutil.CollectAndCount(runDuration, "orgbridge_run_duration_seconds"); n < 1 {
		t.Errorf("run duration series = %d", n)
	}

	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	text := string(body)
	for _, name := range []string{
		"orgbridge_runs_total", "orgbridge_run_duration_seconds_bucket", "orgbridge_last_success_timestamp_seconds",
		"orgbridge_changes_total", "orgbridge_api_requests_total", "orgbridge_api_rate_limited_total",
		"orgbridge_api_retries_total", "orgbridge_scim_requests_total", "orgbridge_job_quarantined",
		"orgbridge_records_held_back", "orgbridge_leader", "go_goroutines", "process_start_time_seconds",
	} {
		if !strings.Contains(text, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if !strings.Contains(text, `orgbridge_api_requests_total{method="GET",status="429",target="t-h"}`) {
		t.Errorf("/metrics lacks the labelled API series")
	}
}

func TestNormalizeMethod(t *testing.T) {
	for in, want := range map[string]string{"": "GET", "get": "GET", "DELETE": "DELETE", "patch": "PATCH", "X-CUSTOM": "other"} {
		if got := normalizeMethod(in); got != want {
			t.Errorf("normalizeMethod(%q) = %q, want %q", in, got, want)
		}
	}
}

// dtoMetric reads a histogram's sample count and sum.
type dtoMetric struct {
	count uint64
	sum   float64
}

func (m *dtoMetric) read(t *testing.T, h prometheus.Histogram) {
	t.Helper()
	r := prometheus.NewRegistry()
	r.MustRegister(h)
	mfs, err := r.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gather: %v, %d families", err, len(mfs))
	}
	hv := mfs[0].GetMetric()[0].GetHistogram()
	m.count, m.sum = hv.GetSampleCount(), hv.GetSampleSum()
}

func TestObserveNotification(t *testing.T) {
	c := notifications.WithLabelValues("webhook", "dropped")
	if d := delta(t, c, func() {
		ObserveNotification("webhook", "dropped")
		ObserveNotification("email", "dropped")
	}); d != 1 {
		t.Errorf("notifications_total{webhook,dropped} moved by %v, want 1", d)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `orgbridge_notifications_total{outcome="dropped",sink="email"} 1`) {
		t.Errorf("/metrics lacks the notifications counter")
	}
}
