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
	// loc finds the lines of keys, for Locate.
	loc locator
}

// Locate names the file and line of each *FieldError in err whose key is
// in the file (for the errors of opening a job's connectors, which Load
// could not check: a secret's variable unset, a CA file unreadable).
func (f *File) Locate(err error) error { return f.loc.Locate(err) }

// Load reads, decodes strictly, defaults and validates a config file:
// every key of every block, the connectors' by their own rules (parts),
// each problem named by file, line and key.
func Load(path string, parts Parts) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data, path, parts)
	if err != nil {
		return nil, err
	}
	f := &File{Config: *cfg, Path: path, Dir: filepath.Dir(path), loc: locator{file: path}}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		f.loc.root = &root
	}
	return f, nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
var lineMsg = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse decodes and validates config bytes; name is used in errors. The
// error of a config that decodes but breaks rules joins *FieldErrors, one
// per problem, each with its line.
func Parse(data []byte, name string, parts Parts) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&loading{cfg: &cfg, parts: parts}); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the config is empty", name)
		}
		if msg, ok := syntaxError(name, data, err); ok {
			return nil, fmt.Errorf("%s", msg)
		}
		return nil, fmt.Errorf("%s", yamlError(name, err))
	}
	cfg.applyDefaults()
	if err := cfg.validate(parts); err != nil {
		var root yaml.Node
		if yaml.Unmarshal(data, &root) != nil {
			return nil, err
		}
		return nil, locator{file: name, root: &root}.Locate(err)
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
		// One problem a line: a value quoted in a message ("cannot
		// unmarshal !!str `a\nb`") keeps its line breaks escaped.
		l = strings.ReplaceAll(strings.TrimSpace(l), "\n", `\n`)
		if m := unknownField.FindStringSubmatch(l); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: unknown key %q", name, m[1], m[2]))
			continue
		}
		if m := lineMsg.FindStringSubmatch(l); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: %s", name, m[1], m[2]))
			continue
		}
		if msg, ok := strings.CutPrefix(l, "yaml: "); ok {
			// yaml names no line when the problem is on the first: it
			// counts lines from 0 and leaves out line 0.
			out = append(out, fmt.Sprintf("%s:1: %s", name, msg))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", name, l))
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
	if n := c.Notify; n != nil {
		n.applyDefaults()
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Leavers == "" {
			j.Leavers = DefaultLeavers
		}
		if j.Concurrency == 0 {
			j.Concurrency = DefaultConcurrency
		}
	}
}

func (sc *SCIM) validate(p *Problems) {
	if len(sc.Tokens) == 0 {
		p.Add("scim.tokens", "at least one token is required")
	}
	for i, t := range sc.Tokens {
		t.Check(p, fmt.Sprintf("scim.tokens[%d]", i))
	}
	if t := sc.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		p.Add("scim.tls", "cert_file and key_file are both required")
	}
	if sc.MaxBodyBytes < 0 {
		p.Add("scim.max_body_bytes", "%d is negative", sc.MaxBodyBytes)
	}
	if sc.MaxResults < 0 {
		p.Add("scim.max_results", "%d is negative", sc.MaxResults)
	}
	if sc.Debounce < 0 || sc.MaxDelay < 0 {
		p.Add("scim.debounce", "durations must not be negative")
	}
	if sc.PublicURL != "" {
		if u, err := url.Parse(sc.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.Add("scim.public_url", "%q is not http(s)://host[/prefix]", sc.PublicURL)
		}
	}
}

var jobName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// validate checks every key without I/O and names each offender by its
// path in the file; the connectors' blocks and the mappings by the rules
// their packages give in parts.
func (c *Config) validate(parts Parts) error {
	var p Problems
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		c.Store.DSN.Check(&p, "store.dsn")
	default:
		p.Add("store.driver", "%q is not a known store (known: sqlite, postgres)", c.Store.Driver)
	}
	switch c.Log.Format {
	case "", "console", "json":
	default:
		p.Add("log.format", "%q is not console or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		p.Add("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if len(c.Jobs) == 0 {
		p.Add("jobs", "at least one job is required")
	}
	if sc := c.SCIM; sc != nil {
		sc.validate(&p)
	}
	if a := c.Admin; a != nil {
		a.Token.Check(&p, "admin.token")
		if a.ReadyMaxFailedAge < 0 {
			p.Add("admin.ready_max_failed_age", "%v is negative", a.ReadyMaxFailedAge)
		}
	}
	if n := c.Notify; n != nil {
		n.validate(&p)
	}
	names := map[string]int{}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		key := fmt.Sprintf("jobs[%d]", i)
		switch {
		case j.Name == "":
			p.Add(key+".name", "required")
		case !jobName.MatchString(j.Name):
			p.Add(key+".name", "%q must be lower-case letters, digits, '-' and '_'", j.Name)
		default:
			if first, dup := names[j.Name]; dup {
				p.Add(key+".name", "%q is also the name of jobs[%d]", j.Name, first)
			}
			names[j.Name] = i
		}
		checkConnector(&p, key+".source", j.Source.Type, j.Source.Settings, j.Source.blocks, parts.Sources)
		checkConnector(&p, key+".target", j.Target.Type, j.Target.Settings, j.Target.blocks, parts.Targets)
		if parts.Mapping != nil {
			p.Merge(key+".mapping", parts.Mapping(j.Mapping))
		}
		if r := j.Guard.MaxDeleteRatio; r != nil && (*r < 0 || *r > 1) {
			p.Add(key+".guard.max_delete_ratio", "%v is not between 0 and 1", *r)
		}
		if n := j.Guard.MaxDeleteCount; n != nil && *n < 0 {
			p.Add(key+".guard.max_delete_count", "%d is negative", *n)
		}
		switch j.Leavers {
		case "suspend", "delete":
		default:
			p.Add(key+".leavers", "%q is not suspend or delete", j.Leavers)
		}
		for k, kind := range j.Kinds {
			switch kind {
			case "orgs", "users", "groups":
			default:
				p.Add(fmt.Sprintf("%s.kinds[%d]", key, k), "%q is not orgs, users or groups", kind)
			}
		}
		if sch := j.Schedule; sch != nil {
			if sch.Full == "" && sch.Incremental == "" {
				p.Add(key+".schedule", "one of full and incremental is required")
			}
			if sch.TimeZone != "" {
				if _, err := time.LoadLocation(sch.TimeZone); err != nil {
					p.Add(key+".schedule.timezone", "%q is not a known time zone", sch.TimeZone)
				}
			}
		}
		if r := j.Quarantine.FailureRatio; r != nil && (*r <= 0 || *r > 1) {
			p.Add(key+".quarantine.failure_ratio", "%v is not above 0 and at most 1", *r)
		}
		if j.Quarantine.Backoff < 0 || j.Quarantine.MaxBackoff < 0 {
			p.Add(key+".quarantine", "durations must not be negative")
		}
		if j.Concurrency < 1 || j.Concurrency > 64 {
			p.Add(key+".concurrency", "%d is not between 1 and 64", j.Concurrency)
		}
	}
	return p.Err()
}

// Check records a problem under key unless exactly one of env and file
// is set.
func (s Secret) Check(p *Problems, key string) {
	switch {
	case s.Env == "" && s.File == "":
		p.Add(key, "required: set env (an environment variable's name) or file (a path); the secret itself never goes in the config")
	case s.Env != "" && s.File != "":
		p.Add(key, "set only one of env and file")
	}
}

// RelativeTo returns the secret with a relative file resolved against dir
// (the config file's directory).
func (s Secret) RelativeTo(dir string) Secret {
	if s.File != "" && !filepath.IsAbs(s.File) {
		s.File = filepath.Join(dir, s.File)
	}
	return s
}

// Resolve returns the secret's value: the environment variable's, or the
// file's with trailing newlines trimmed (a relative file against baseDir).
// The error is a *FieldError naming key, never the value.
func (s Secret) Resolve(key, baseDir string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", &FieldError{Key: key, Message: fmt.Sprintf(format, args...)}
	}
	if s.Env != "" {
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return fail("environment variable %s is not set", s.Env)
		}
		return v, nil
	}
	if s.File == "" {
		return fail("set env or file")
	}
	path := s.RelativeTo(baseDir).File
	data, err := os.ReadFile(path)
	if err != nil {
		return fail("read secret file: %v", err)
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v == "" {
		return fail("secret file %s is empty", path)
	}
	return v, nil
}
