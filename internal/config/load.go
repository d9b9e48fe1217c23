package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is a loaded config and where it came from.
type File struct {
	Config
	// Path of the file as given; Dir is its directory, against which
	// relative paths inside the config resolve.
	Path, Dir string
}

// Load reads, decodes strictly, defaults and validates a config file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	return &File{Config: *cfg, Path: path, Dir: filepath.Dir(path)}, nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
var lineMsg = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse decodes and validates config bytes; name is used in errors.
func Parse(data []byte, name string) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the config is empty", name)
		}
		return nil, fmt.Errorf("%s", yamlError(name, err))
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &cfg, nil
}

// yamlError rewrites yaml's messages as "file:line: message", one a line,
// and names unknown keys as such.
func yamlError(name string, err error) string {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{err.Error()}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if m := unknownField.FindStringSubmatch(l); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: unknown key %q", name, m[1], m[2]))
			continue
		}
		if m := lineMsg.FindStringSubmatch(l); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: %s", name, m[1], m[2]))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", name, strings.TrimPrefix(l, "yaml: ")))
	}
	return strings.Join(out, "\n")
}

// Defaults that are not the zero value.
const (
	DefaultStorePath   = "orgbridge.db"
	DefaultConcurrency = 4
	DefaultLeavers     = "suspend"
)

func (c *Config) applyDefaults() {
	if c.Store.Driver == "" {
		c.Store.Driver = "sqlite"
	}
	if c.Store.Path == "" {
		c.Store.Path = DefaultStorePath
	}
	if a := c.Admin; a != nil {
		if a.Listen == "" {
			a.Listen = "127.0.0.1:9090"
		}
		if a.ReadyMaxFailedAge == 0 {
			a.ReadyMaxFailedAge = 26 * time.Hour
		}
	}
	if sc := c.SCIM; sc != nil {
		if sc.Listen == "" {
			sc.Listen = "127.0.0.1:8443"
		}
		if sc.MaxBodyBytes == 0 {
			sc.MaxBodyBytes = 1 << 20
		}
		if sc.MaxResults == 0 {
			sc.MaxResults = 100
		}
		if sc.Debounce == 0 {
			sc.Debounce = 2 * time.Second
		}
		if sc.MaxDelay == 0 {
			sc.MaxDelay = 10 * time.Second
		}
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Leavers == "" {
			j.Leavers = DefaultLeavers
		}
		if j.Concurrency == 0 {
			j.Concurrency = DefaultConcurrency
		}
		if j.Source.CSV != nil && j.Source.CSV.Encoding == "" {
			j.Source.CSV.Encoding = "auto"
		}
		if j.Source.SCIM != nil && j.Source.SCIM.GroupsAs == "" {
			j.Source.SCIM.GroupsAs = "groups"
		}
	}
}

func (sc *SCIM) validate(p *problems) {
	if len(sc.Tokens) == 0 {
		p.add("scim.tokens", "at least one token is required")
	}
	for i, t := range sc.Tokens {
		if (t.Env == "") == (t.File == "") {
			p.add(fmt.Sprintf("scim.tokens[%d]", i), "one of env and file is required")
		}
	}
	if t := sc.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		p.add("scim.tls", "cert_file and key_file are both required")
	}
	if sc.MaxBodyBytes < 0 {
		p.add("scim.max_body_bytes", "%d is negative", sc.MaxBodyBytes)
	}
	if sc.MaxResults < 0 {
		p.add("scim.max_results", "%d is negative", sc.MaxResults)
	}
	if sc.Debounce < 0 || sc.MaxDelay < 0 {
		p.add("scim.debounce", "durations must not be negative")
	}
	if sc.PublicURL != "" {
		if u, err := url.Parse(sc.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.add("scim.public_url", "%q is not http(s)://host[/prefix]", sc.PublicURL)
		}
	}
}

// problems gathers validation errors, each prefixed by its key path.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

var jobName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate checks every key it can without I/O, and names each offender by
// its path in the file. Mapping templates are compiled by the mapping
// package; connectors check what only they know when they open.
func (c *Config) Validate() error {
	var p problems
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		if (c.Store.DSN.Env == "") == (c.Store.DSN.File == "") {
			p.add("store.dsn", "one of env and file is required with driver postgres")
		}
	default:
		p.add("store.driver", "%q is not a known store (known: sqlite, postgres)", c.Store.Driver)
	}
	switch c.Log.Format {
	case "", "console", "json":
	default:
		p.add("log.format", "%q is not console or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		p.add("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if len(c.Jobs) == 0 {
		p.add("jobs", "at least one job is required")
	}
	if sc := c.SCIM; sc != nil {
		sc.validate(&p)
	}
	if a := c.Admin; a != nil {
		if (a.Token.Env == "") == (a.Token.File == "") {
			p.add("admin.token", "one of env and file is required")
		}
		if a.ReadyMaxFailedAge < 0 {
			p.add("admin.ready_max_failed_age", "%v is negative", a.ReadyMaxFailedAge)
		}
	}
	names := map[string]int{}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		key := fmt.Sprintf("jobs[%d]", i)
		switch {
		case j.Name == "":
			p.add(key+".name", "required")
		case !jobName.MatchString(j.Name):
			p.add(key+".name", "%q must be lower-case letters, digits, '-' and '_'", j.Name)
		default:
			if first, dup := names[j.Name]; dup {
				p.add(key+".name", "%q is also the name of jobs[%d]", j.Name, first)
			}
			names[j.Name] = i
		}
		j.Source.validate(&p, key+".source")
		j.Target.validate(&p, key+".target")
		if r := j.Guard.MaxDeleteRatio; r != nil && (*r < 0 || *r > 1) {
			p.add(key+".guard.max_delete_ratio", "%v is not between 0 and 1", *r)
		}
		if n := j.Guard.MaxDeleteCount; n != nil && *n < 0 {
			p.add(key+".guard.max_delete_count", "%d is negative", *n)
		}
		switch j.Leavers {
		case "suspend", "delete":
		default:
			p.add(key+".leavers", "%q is not suspend or delete", j.Leavers)
		}
		for k, kind := range j.Kinds {
			switch kind {
			case "orgs", "users", "groups":
			default:
				p.add(fmt.Sprintf("%s.kinds[%d]", key, k), "%q is not orgs, users or groups", kind)
			}
		}
		if sch := j.Schedule; sch != nil {
			if sch.Full == "" && sch.Incremental == "" {
				p.add(key+".schedule", "one of full and incremental is required")
			}
			if sch.TimeZone != "" {
				if _, err := time.LoadLocation(sch.TimeZone); err != nil {
					p.add(key+".schedule.timezone", "%q is not a known time zone", sch.TimeZone)
				}
			}
		}
		if r := j.Quarantine.FailureRatio; r != nil && (*r <= 0 || *r > 1) {
			p.add(key+".quarantine.failure_ratio", "%v is not above 0 and at most 1", *r)
		}
		if j.Quarantine.Backoff < 0 || j.Quarantine.MaxBackoff < 0 {
			p.add(key+".quarantine", "durations must not be negative")
		}
		if j.Concurrency < 1 || j.Concurrency > 64 {
			p.add(key+".concurrency", "%d is not between 1 and 64", j.Concurrency)
		}
	}
	if len(p) > 0 {
		return errors.New(strings.Join(p, "\n"))
	}
	return nil
}

func (s *Source) validate(p *problems, key string) {
	blocks := map[string]bool{"csv": s.CSV != nil, "ldap": s.LDAP != nil, "scim": s.SCIM != nil}
	// The CSV block's own values are checked by connectors/csv when it
	// opens (validate opens every job).
	validateType(p, key, s.Type, blocks)
}

func (t *Target) validate(p *problems, key string) {
	blocks := map[string]bool{
		"aircourse": t.AirCourse != nil, "tenantadmin": t.TenantAdmin != nil, "capgo": t.Capgo != nil,
		"pcaid": t.Pcaid != nil, "directory": t.Directory != nil,
	}
	// Each target checks its own block when it opens (validate opens every
	// job), as the sources do: one place for each rule.
	validateType(p, key, t.Type, blocks)
}

// validateType checks that type names a known connector whose block is
// present, and that no other connector's block is.
func validateType(p *problems, key, typ string, blocks map[string]bool) {
	known := make([]string, 0, len(blocks))
	for name := range blocks {
		known = append(known, name)
	}
	sort.Strings(known)
	switch present, ok := blocks[typ]; {
	case typ == "":
		p.add(key+".type", "required (known: %s)", strings.Join(known, ", "))
	case !ok:
		p.add(key+".type", "%q is not a known type (known: %s)", typ, strings.Join(known, ", "))
	case !present:
		p.add(key+"."+typ, "required when type is %q", typ)
	}
	for name, present := range blocks {
		if present && name != typ {
			p.add(key+"."+name, "set, but type is %q", typ)
		}
	}
}

// Resolve returns the secret's value: the environment variable's, or the
// file's with trailing newlines trimmed. The error names key, never the value.
func (s Secret) Resolve(key, baseDir string) (string, error) {
	if s.Env != "" {
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("%s: environment variable %s is not set", key, s.Env)
		}
		return v, nil
	}
	path := s.File
	if path == "" {
		return "", fmt.Errorf("%s: set env or file", key)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: read secret file: %w", key, err)
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s: secret file %s is empty", key, path)
	}
	return v, nil
}
