package config

import "time"

// Config is the whole file.
type Config struct {
	// Store is where links, the journal and the run history are kept.
	Store Store `yaml:"store"`
	// Log sets the default log format; the --log-format flag overrides it.
	Log Log `yaml:"log"`
	// SCIM configures the SCIM 2.0 endpoint `orgbridge serve` runs; nil
	// serves none.
	SCIM *SCIM `yaml:"scim"`
	// Admin configures the daemon's admin HTTP listener; nil serves none.
	Admin *Admin `yaml:"admin"`
	// Notify tells people what needs them (held plans, quarantines,
	// failed runs, records held back); nil tells nobody.
	Notify *Notify `yaml:"notify"`
	Jobs   []Job   `yaml:"jobs"`
}

// Admin configures the admin HTTP listener of `orgbridge serve`: health,
// readiness, metrics, the run history, triggers, approvals and the status
// page.
type Admin struct {
	// Listen is the address; default 127.0.0.1:9090.
	Listen string `yaml:"listen"`
	// Token guards everything but /healthz, /readyz and /metrics: a bearer
	// token, or the password of HTTP Basic auth (any user) for browsers.
	Token Secret `yaml:"token"`
	// MetricsPublic serves /metrics without the token (for a Prometheus
	// that scrapes without credentials); default false.
	MetricsPublic bool `yaml:"metrics_public"`
	// ReadyMaxFailedAge: /readyz fails when a job's last run failed and it
	// has not succeeded for this long; default 26h.
	ReadyMaxFailedAge time.Duration `yaml:"ready_max_failed_age"`
	// Replica names this process on the status page; default the host name.
	Replica string `yaml:"replica"`
}

// Schedule runs a job by itself under `orgbridge serve`.
type Schedule struct {
	// Full is a cron spec (5 fields, or @daily and the like) of full runs.
	Full string `yaml:"full"`
	// Incremental is an optional cron spec of incremental runs.
	Incremental string `yaml:"incremental"`
	// TimeZone of the specs, e.g. Asia/Tokyo; default the machine's.
	TimeZone string `yaml:"timezone"`
}

// Quarantine slows a job whose calls mostly fail.
type Quarantine struct {
	// FailureRatio: a run in which more than this share of the changes
	// failed (or that failed as a whole) quarantines the job; default 0.5.
	FailureRatio *float64 `yaml:"failure_ratio"`
	// Backoff is the first pause of scheduled runs; it doubles with each
	// further failed run up to MaxBackoff. Defaults 5m and 6h.
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// SCIM configures the SCIM 2.0 endpoint identity providers push to.
type SCIM struct {
	// Listen is the address to listen on; default 127.0.0.1:8443.
	Listen string `yaml:"listen"`
	// TLS serves HTTPS with this certificate and key (PEM files); without
	// it the endpoint is plain HTTP, for use behind a TLS proxy.
	TLS *TLS `yaml:"tls"`
	// Tokens are the bearer tokens accepted; several let a token be rotated
	// without downtime (add the new one, switch the IdP, drop the old).
	Tokens []Secret `yaml:"tokens"`
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxResults bounds one page of a list; default 100.
	MaxResults int `yaml:"max_results"`
	// Debounce is the quiet time after a push before the scim jobs run
	// incrementally; default 2s. MaxDelay bounds the wait under a steady
	// stream of pushes; default 10s.
	Debounce time.Duration `yaml:"debounce"`
	MaxDelay time.Duration `yaml:"max_delay"`
	// PublicURL is the scheme, host and path prefix clients reach the
	// endpoint at, behind a proxy (https://scim.example.com): the absolute
	// URLs the endpoint answers (meta.location, Location) start with it.
	// Default: each request's Host, https when TLS is on.
	PublicURL string `yaml:"public_url"`
}

// TLS names a certificate and its key, relative to the config file.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Log settings.
type Log struct {
	// Format is "console" or "json"; empty chooses console on a terminal and
	// json otherwise.
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// Store settings.
type Store struct {
	// Driver is "sqlite" (the default: one machine) or "postgres" (several
	// replicas sharing one database).
	Driver string `yaml:"driver"`
	// Path of the SQLite database file; default "orgbridge.db".
	Path string `yaml:"path"`
	// DSN of the PostgreSQL database (postgres://user:pass@host/db), from
	// an environment variable or file, as it holds a password.
	DSN Secret `yaml:"dsn"`
}

// Job is one source synced into one target.
type Job struct {
	Name    string  `yaml:"name"`
	Source  Source  `yaml:"source"`
	Mapping Mapping `yaml:"mapping"`
	Target  Target  `yaml:"target"`
	Guard   Guard   `yaml:"guard"`
	// Leavers says what happens to a managed user who is no longer in the
	// source: "suspend" (default) or "delete".
	Leavers string `yaml:"leavers"`
	// Concurrency bounds the writes in flight; default 4.
	Concurrency int `yaml:"concurrency"`
	// Kinds limits what the job syncs: any of orgs, users, groups (with
	// their memberships). Empty means every kind the mapping produces. A
	// target that lacks a kind the job syncs is a config error.
	Kinds []string `yaml:"kinds"`
	// Schedule runs the job under `orgbridge serve`; nil runs it only on
	// demand (and on SCIM pushes for a scim source).
	Schedule *Schedule `yaml:"schedule"`
	// Quarantine tunes how a failing job is slowed.
	Quarantine Quarantine `yaml:"quarantine"`
}

// Guard refuses a run that would remove too much, unless forced.
type Guard struct {
	// MaxDeleteRatio is the largest share of the managed objects of a kind
	// that one run may delete or suspend; default 0.05.
	MaxDeleteRatio *float64 `yaml:"max_delete_ratio"`
	// MaxDeleteCount is the largest number of deletes and suspends in one
	// run; default 500.
	MaxDeleteCount *int `yaml:"max_delete_count"`
}

// Source selects one source connector and holds its settings: the block
// named by Type (`source: {type: csv, csv: {...}}`).
type Source struct {
	Type string
	// Settings is that block, decoded strictly into the connector's own
	// settings type (connectors/registry) and checked by its Validate.
	Settings Settings
	// blocks holds each connector block as written, until Load knows the
	// type to decode it into.
	blocks map[string]rawBlock
}

// Mapping turns records into the canonical model. Every value is a Go
// text/template over the record's attributes ({{.社員番号}}), with the
// functions lower, upper, trim, replace, default and printf.
type Mapping struct {
	Users  UserMapping  `yaml:"users"`
	Orgs   OrgMapping   `yaml:"orgs"`
	Groups GroupMapping `yaml:"groups"`
}

// UserMapping maps user records.
type UserMapping struct {
	LoginID string `yaml:"login_id"`
	Email   string `yaml:"email"`
	Name    string `yaml:"name"`
	// Attributes maps a target field name to a template.
	Attributes map[string]string `yaml:"attributes"`
	// OrgPath builds the org tree from a path in each user record.
	OrgPath *OrgPath `yaml:"org_path"`
	// Org names the user's org by org key (when orgs come from their own
	// file); exclusive with OrgPath.
	Org string `yaml:"org"`
	// OrgSeparator, when set, splits Org's value into several org keys.
	OrgSeparator string `yaml:"org_separator"`
	// Role maps the user's role in their orgs.
	Role *RoleMap `yaml:"role"`
	// Groups lists group keys the user is a member of.
	Groups *ListField `yaml:"groups"`
	// Scope leaves out records that match any rule (e.g. status 退職).
	Scope Scope `yaml:"scope"`
	// Suspended: a record that matches any rule is kept but suspended
	// (e.g. status 休職).
	Suspended []Match `yaml:"suspended"`
}

// OrgPath derives orgs from a path such as 本社/営業部/第一課.
type OrgPath struct {
	Template  string `yaml:"template"`
	Separator string `yaml:"separator"`
	// MultiSeparator, when set, splits several paths in one value (兼務).
	MultiSeparator string `yaml:"multi_separator"`
}

// RoleMap maps a source value to member or admin.
type RoleMap struct {
	Template string            `yaml:"template"`
	Values   map[string]string `yaml:"values"`
	// Default is used for a value that is empty or not in Values; when
	// empty, such a value is an error naming the record.
	Default string `yaml:"default"`
}

// ListField is a template whose value is split into several.
type ListField struct {
	Template  string `yaml:"template"`
	Separator string `yaml:"separator"`
}

// Scope filters records.
type Scope struct {
	Exclude []Match `yaml:"exclude"`
}

// Match tests one template's value.
type Match struct {
	Template string   `yaml:"template"`
	Equals   string   `yaml:"equals"`
	In       []string `yaml:"in"`
}

// OrgMapping maps org records (from an orgs file) and, for path-derived
// orgs, their codes.
type OrgMapping struct {
	// Key identifies the org; for a tree built from paths it must render the
	// full path.
	Key         string `yaml:"key"`
	Name        string `yaml:"name"`
	Code        string `yaml:"code"`
	Parent      string `yaml:"parent"`
	Description string `yaml:"description"`
	// Flatten turns the tree into flat orgs for a target whose orgs do not
	// nest.
	Flatten *Flatten `yaml:"flatten"`
}

// Flatten says how an org tree becomes flat orgs.
type Flatten struct {
	// Mode is "top_level" (keep the top-level orgs; members of the orgs
	// below count as members of their top-level org) or "path" (every org
	// becomes a flat org named by its whole path).
	Mode string `yaml:"mode"`
	// Separator joins the path's names in "path" mode; default " / ".
	Separator string `yaml:"separator"`
}

// GroupMapping maps group records.
type GroupMapping struct {
	Name        string `yaml:"name"`
	Code        string `yaml:"code"`
	Org         string `yaml:"org"`
	Description string `yaml:"description"`
}

// Target selects one target connector and holds its settings, as Source
// does (`target: {type: aircourse, aircourse: {...}}`).
type Target struct {
	Type     string
	Settings Settings
	blocks   map[string]rawBlock
}

// Secret is a value taken from an environment variable or a file, never
// written in the config itself.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}
