// Package metrics holds orgbridge's Prometheus metrics and the handler that
// serves them at /metrics.
//
// Every metric lives in one process-wide registry (Registry), together with
// the Go and process collectors; callers move the series only through the
// functions of this package, which keep the label values bounded:
//
//	orgbridge_runs_total{job,mode,outcome}              counter   ObserveRun
//	orgbridge_run_duration_seconds{job,mode}            histogram ObserveRun
//	orgbridge_last_success_timestamp_seconds{job}       gauge     SetLastSuccess
//	orgbridge_changes_total{job,kind,action,result}     counter   ObserveChange
//	orgbridge_api_requests_total{target,method,status}  counter   ObserveAPIRequest
//	orgbridge_api_rate_limited_total{target}            counter   ObserveAPIRequest (429)
//	orgbridge_api_retries_total{target}                 counter   ObserveRetry
//	orgbridge_scim_requests_total{method,resource,status} counter ObserveSCIMRequest
//	orgbridge_job_quarantined{job}                      gauge     SetQuarantined
//	orgbridge_leader                                    gauge     SetLeader
//	orgbridge_notifications_total{sink,outcome}         counter   ObserveNotification
//
// No label carries a user key, an object id or a URL: job, mode, kind,
// action and target are names from the config and the code, an HTTP method
// outside the standard ones is counted as "other", a status is the numeric
// code (or "error" for a request that got no response), and a SCIM resource
// is one of the endpoint names (Users, Groups, Schemas, ResourceTypes,
// ServiceProviderConfig) or "other".
//
// Tests read the values with prometheus/testutil against Registry() or
// the collectors it holds; series persist for the life of the process, so a
// test compares the value after an action with the value before it.
package metrics
