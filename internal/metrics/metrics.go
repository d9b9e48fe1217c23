package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of a run (the outcome label of orgbridge_runs_total).
const (
	OutcomeSucceeded   = "succeeded"
	OutcomeFailed      = "failed"
	OutcomeRefused     = "refused"
	OutcomeInterrupted = "interrupted"
	OutcomeDryRun      = "dry_run"
)

// Results of a change (the result label of orgbridge_changes_total).
const (
	ResultApplied = "applied"
	ResultFailed  = "failed"
)

// StatusError is the status label of an API request that got no response
// (a transport error).
const StatusError = "error"

// Other is the label value of a method or SCIM resource outside the known
// set.
const Other = "other"

// SCIMResources are the resource label values of orgbridge_scim_requests_total
// besides Other.
var SCIMResources = []string{"Users", "Groups", "Schemas", "ResourceTypes", "ServiceProviderConfig"}

// runDurationBuckets span a quick incremental run to a long full one.
var runDurationBuckets = []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}

var (
	runsTotal = counter("orgbridge_runs_total",
		"Sync runs finished, by job, mode and outcome (succeeded, failed, refused, interrupted, dry_run).",
		"job", "mode", "outcome")

	runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orgbridge_run_duration_seconds",
		Help:    "Duration of sync runs, by job and mode.",
		Buckets: runDurationBuckets,
	}, []string{"job", "mode"})

	lastSuccess = gauge("orgbridge_last_success_timestamp_seconds",
		"Unix time at which the job's last successful run finished.",
		"job")

	changesTotal = counter("orgbridge_changes_total",
		"Changes sent to targets, by job, object kind, action and result (applied, failed).",
		"job", "kind", "action", "result")

	apiRequests = counter("orgbridge_api_requests_total",
		"HTTP requests sent to target APIs (every attempt, token requests included), by target, method and status (the HTTP code, or error when no response came).",
		"target", "method", "status")

	apiRateLimited = counter("orgbridge_api_rate_limited_total",
		"Target API responses with status 429 Too Many Requests, by target.",
		"target")

	apiRetries = counter("orgbridge_api_retries_total",
		"Target API requests sent again after a retryable failure, by target.",
		"target")

	scimRequests = counter("orgbridge_scim_requests_total",
		"Requests served by the SCIM endpoint, by method, resource and status.",
		"method", "resource", "status")

	jobQuarantined = gauge("orgbridge_job_quarantined",
		"1 while the job is quarantined (not run until released), else 0.",
		"job")

	recordsHeldBack = gauge("orgbridge_records_held_back",
		"Source records the job's last run left out because they cannot be mapped (nothing of theirs is written or removed until they are fixed or gone).",
		"job")

	notifications = counter("orgbridge_notifications_total",
		"Notifications (held plans, quarantines and recoveries, failed runs, records held back), by sink (webhook, email) and outcome (sent, failed, rate_limited, dropped: the queue was full).",
		"sink", "outcome")

	leader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "orgbridge_leader",
		Help: "1 while this process holds the scheduler's leadership, else 0.",
	})
)

// counter and gauge make the labelled metrics above.
func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
}

var registry = newRegistry()

func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		runsTotal, runDuration, lastSuccess, changesTotal,
		apiRequests, apiRateLimited, apiRetries,
		scimRequests, jobQuarantined, recordsHeldBack, leader, notifications,
	)
	return r
}

// Registry is the process's registry: the Go and process collectors and
// every orgbridge metric.
func Registry() *prometheus.Registry { return registry }

// Handler serves Registry in the Prometheus exposition formats. A metric
// that fails to gather is left out and the rest is still served.
func Handler() http.Handler {
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ObserveRun counts a finished run of job in mode with its outcome (one of
// the Outcome constants) and records its duration.
func ObserveRun(job, mode, outcome string, duration time.Duration) {
	runsTotal.WithLabelValues(job, mode, outcome).Inc()
	runDuration.WithLabelValues(job, mode).Observe(max(duration, 0).Seconds())
}

// SetLastSuccess records when job's last successful run finished.
func SetLastSuccess(job string, t time.Time) {
	lastSuccess.WithLabelValues(job).Set(float64(t.UnixNano()) / 1e9)
}

// ObserveChange counts one change of kind (user, group, membership…) and
// action (create, update, delete…) that job sent, with its result
// (ResultApplied or ResultFailed).
func ObserveChange(job, kind, action, result string) {
	changesTotal.WithLabelValues(job, kind, action, result).Inc()
}

// ObserveAPIRequest counts one attempt of an HTTP request to target's API:
// status is the response's code, or 0 with err set when none came (counted
// with status "error"; err is otherwise not looked at). A 429 is also
// counted in orgbridge_api_rate_limited_total.
func ObserveAPIRequest(target, method string, status int, err error) {
	label := StatusError
	if status > 0 {
		label = strconv.Itoa(status)
	}
	apiRequests.WithLabelValues(target, normalizeMethod(method), label).Inc()
	if status == http.StatusTooManyRequests {
		apiRateLimited.WithLabelValues(target).Inc()
	}
}

// ObserveRetry counts one retry of a request to target's API.
func ObserveRetry(target string) {
	apiRetries.WithLabelValues(target).Inc()
}

// ObserveSCIMRequest counts one request served by the SCIM endpoint.
// resource is one of SCIMResources (any other value counts as "other").
func ObserveSCIMRequest(method, resource string, status int) {
	scimRequests.WithLabelValues(normalizeMethod(method), normalizeResource(resource), strconv.Itoa(status)).Inc()
}

// SetQuarantined sets whether job is quarantined.
func SetQuarantined(job string, on bool) {
	jobQuarantined.WithLabelValues(job).Set(b2f(on))
}

// SetHeldBack sets how many records job holds back.
func SetHeldBack(job string, n int) {
	recordsHeldBack.WithLabelValues(job).Set(float64(n))
}

// ObserveNotification counts one notification to a kind of sink (webhook,
// email) with its outcome (sent, failed, rate_limited, dropped).
func ObserveNotification(sink, outcome string) {
	notifications.WithLabelValues(sink, outcome).Inc()
}

// SetLeader sets whether this process is the leader.
func SetLeader(on bool) { leader.Set(b2f(on)) }

func b2f(on bool) float64 {
	if on {
		return 1
	}
	return 0
}

// normalizeMethod keeps the standard methods (upper case, "" being GET) and
// counts any other as Other, so that a client cannot mint series.
func normalizeMethod(m string) string {
	if m == "" {
		return http.MethodGet
	}
	switch u := strings.ToUpper(m); u {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return u
	}
	return Other
}

func normalizeResource(r string) string {
	for _, k := range SCIMResources {
		if r == k {
			return k
		}
	}
	return Other
}
