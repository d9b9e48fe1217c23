// Package notify tells people when orgbridge needs them: a plan the guard
// held for approval, a job quarantined and its recovery, a failed run,
// records held back because they cannot be mapped. Entra and GCDS mail
// their admins on the same occasions; a status page alone is seen only
// by whoever looks.
//
// A Notifier fans each Event out to its sinks: webhooks (the event as
// JSON, or the {"text": "..."} body Slack and Teams incoming webhooks
// take; retried on 5xx, 429 and transport errors) and e-mail through an
// SMTP relay (github.com/wneessen/go-mail: STARTTLS or implicit TLS,
// AUTH). Every message names the job and links to the status page. Post
// queues an event for a worker goroutine, so the daemon never waits on a
// slow relay; a full queue drops the event and counts it. Events of one
// kind and job are rate-limited (at most one per MinInterval); a recovery
// always goes out. A webhook URL is a credential: it never appears in a
// log or an error, which name the sink by its place in the config.
package notify
