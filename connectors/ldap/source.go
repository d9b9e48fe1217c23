package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
)

// Defaults of the source.ldap block.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultPageSize = 1000
)

// The default filters of each flavor.
const (
	adUserFilter       = "(&(objectCategory=person)(objectClass=user))"
	adGroupFilter      = "(objectClass=group)"
	openLDAPUserFilter = "(|(objectClass=person)(objectClass=posixAccount))"
	openLDAPGrpFilter  = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
	ouFilter           = "(objectClass=organizationalUnit)"
)

// The attributes a source computes for every user record; `attributes`
// may not name them.
const (
	attrDN       = "dn"
	attrOUPath   = "ou_path"
	attrGroups   = "groups"
	attrDisabled = "disabled"
)

// Source reads users, groups and organizational units from Active
// Directory or OpenLDAP. It is safe for concurrent use: each read opens its
// own connection.
type Source struct {
	s      settings
	logger *zap.Logger
	// dial, when set by tests, replaces the TCP dial (before TLS).
	dial func(network, addr string, timeout time.Duration) (net.Conn, error)
}

var (
	_ connectors.Source            = (*Source)(nil)
	_ connectors.IncrementalSource = (*Source)(nil)
)

// search is one configured search, validated.
type search struct {
	cfgKey string // "source.ldap.users"
	base   string // as configured
	nbase  string // canonical
	depth  int    // RDNs in base
	filter string
	scope  int
}

// settings is the validated config. password is never logged or put in an
// error.
type settings struct {
	url       string
	addr      string // host:port
	ldaps     bool
	startTLS  bool
	tlsConfig *tls.Config // nil for plain LDAP

	bindDN string
	// password returns the bind password. A function, so that printing
	// the settings (%+v) never shows it.
	password func() string

	timeout  time.Duration
	pageSize uint32

	ad      bool
	keyAttr string

	users  search
	groups *search

	orgsFrom string // "", "ou" or "attribute"
	orgAttr  string
	scope    scopeRule

	// attributes are the user attributes a record carries: `attributes`
	// then the `required` ones not among them.
	attributes []string
	required   []string
	skip       bool // on_missing: skip
	nested     bool
	hwAttr     string // high-water attribute of incremental reads
}

var attrName = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*$`)

// New checks cfg and returns a Source. It reads the bind password (from
// its environment variable or file) and the CA file, but opens no
// connection: the directory is first contacted by Read. The errors are
// *config.FieldErrors keyed below the block ("users.base_dn: required"),
// all of them at once. A nil logger logs nothing.
func New(cfg Config, logger *zap.Logger) (*Source, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	s, err := cfg.check(logger)
	if err != nil {
		return nil, err
	}
	var p config.Problems
	if s.tlsConfig != nil && cfg.CAFile != "" {
		pool, err := loadCA(cfg.CAFile)
		if err != nil {
			p.Add("ca_file", "%v", err)
		}
		s.tlsConfig.RootCAs = pool
	}
	if pw, err := cfg.BindPassword.Resolve("bind_password", ""); err != nil {
		p.Merge("", err)
	} else {
		s.password = func() string { return pw }
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return &Source{s: s, logger: logger.With(zap.String("source", "ldap"), zap.String("url", s.url))}, nil
}

// check checks every key without I/O and returns the settings, without
// the password and the CA pool, which New reads. logger warns of keys that
// have no effect.
func (cfg *Config) check(logger *zap.Logger) (settings, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	var p config.Problems
	fail := func(key, format string, args ...any) { p.Add(key, format, args...) }
	var s settings

	switch strings.ToLower(cfg.Flavor) {
	case "", "openldap":
	case "ad":
		s.ad = true
	default:
		fail("flavor", "%q is not ad or openldap", cfg.Flavor)
	}

	// Connection.
	if cfg.URL == "" {
		fail("url", "required (ldaps://host:636 or ldap://host:389)")
	} else if u, err := url.Parse(cfg.URL); err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		fail("url", "%q is not an ldap:// or ldaps:// URL with a host", cfg.URL)
	} else if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		fail("url", "%q: give the scheme, host and port only; the base DN goes in users.base_dn", cfg.URL)
	} else {
		s.url = u.Scheme + "://" + u.Host
		s.ldaps = u.Scheme == "ldaps"
		port := u.Port()
		if port == "" {
			port = "389"
			if s.ldaps {
				port = "636"
			}
		}
		s.addr = net.JoinHostPort(u.Hostname(), port)
		s.startTLS = cfg.StartTLS
		switch {
		case s.ldaps && cfg.StartTLS:
			fail("start_tls", "cannot be used with an ldaps:// URL, which is already TLS")
		case !s.ldaps && !cfg.StartTLS && !cfg.AllowPlain:
			fail("url", "%q is plain LDAP: the bind password would cross the network in clear; use ldaps://, set start_tls: true, or set allow_plain: true to accept it", cfg.URL)
		}
		if s.ldaps || s.startTLS {
			tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName}
			if tc.ServerName == "" {
				tc.ServerName = u.Hostname()
			}
			s.tlsConfig = tc
		} else if cfg.CAFile != "" || cfg.ServerName != "" {
			logger.Warn("ldap: ca_file and server_name are unused on a plain LDAP connection")
		}
	}
	if cfg.BindDN == "" {
		fail("bind_dn", "required")
	} else if _, err := goldap.ParseDN(cfg.BindDN); err != nil && !strings.ContainsAny(cfg.BindDN, `@\`) {
		// AD also takes user@realm and DOMAIN\user.
		fail("bind_dn", "%q is not a DN, user@realm or DOMAIN\\user", cfg.BindDN)
	}
	s.bindDN = cfg.BindDN
	cfg.BindPassword.Check(&p, "bind_password")
	switch {
	case cfg.Timeout < 0:
		fail("timeout", "%s is negative", cfg.Timeout)
	case cfg.Timeout == 0:
		s.timeout = DefaultTimeout
	default:
		s.timeout = cfg.Timeout
	}
	switch {
	case cfg.PageSize < 0 || cfg.PageSize > 1<<31-1:
		fail("page_size", "%d is not between 1 and 2147483647", cfg.PageSize)
	case cfg.PageSize == 0:
		s.pageSize = DefaultPageSize
	default:
		s.pageSize = uint32(cfg.PageSize)
	}

	// Keys.
	s.keyAttr = cfg.KeyAttribute
	if s.keyAttr == "" {
		s.keyAttr = "entryUUID"
		if s.ad {
			s.keyAttr = "objectGUID"
		}
	} else if !attrName.MatchString(s.keyAttr) {
		fail("key_attribute", "%q is not an attribute name", s.keyAttr)
	}

	// Searches.
	userFilter, groupFilter := openLDAPUserFilter, openLDAPGrpFilter
	if s.ad {
		userFilter, groupFilter = adUserFilter, adGroupFilter
	}
	s.users = newSearch(&p, "users", cfg.Users, userFilter)
	if cfg.Groups != nil {
		g := newSearch(&p, "groups", *cfg.Groups, groupFilter)
		s.groups = &g
	}
	s.nested = cfg.NestedGroups == nil || *cfg.NestedGroups

	// Orgs.
	if o := cfg.Orgs; o != nil {
		switch o.From {
		case "ou":
			s.orgsFrom = "ou"
			if o.Attribute != "" {
				fail("orgs.attribute", "only with from: attribute")
			}
			if s.users.scope == goldap.ScopeSingleLevel {
				fail("orgs.from", "ou needs users.scope sub: with scope one no user is below an OU")
			}
			s.scope.include = parseDNList(&p, "orgs.include", o.Include, s.users.nbase)
			s.scope.exclude = parseDNList(&p, "orgs.exclude", o.Exclude, s.users.nbase)
		case "attribute":
			s.orgsFrom = "attribute"
			switch {
			case o.Attribute == "":
				fail("orgs.attribute", "required with from: attribute")
			case !attrName.MatchString(o.Attribute):
				fail("orgs.attribute", "%q is not an attribute name", o.Attribute)
			}
			s.orgAttr = o.Attribute
			if len(o.Include) > 0 {
				fail("orgs.include", "only with from: ou")
			}
			if len(o.Exclude) > 0 {
				fail("orgs.exclude", "only with from: ou")
			}
		case "":
			fail("orgs.from", "required (ou or attribute)")
		default:
			fail("orgs.from", "%q is not ou or attribute", o.From)
		}
	}

	// Attributes. readable fails key unless a names an attribute the
	// source reads from the directory; computed says the rest of what is
	// wrong with one it computes itself.
	readable := func(key, a, computed string) bool {
		switch {
		case a == "":
			fail(key, "empty attribute name")
		case !attrName.MatchString(a):
			fail(key, "%q is not an attribute name", a)
		case isComputed(a):
			fail(key, "%q is computed by the source"+computed, a)
		default:
			return true
		}
		return false
	}
	seen := map[string]int{}
	for i, a := range cfg.Attributes {
		key := fmt.Sprintf("attributes[%d]", i)
		if !readable(key, a, " (dn, ou_path, groups, disabled) and cannot be read") {
			continue
		}
		if j, dup := seen[strings.ToLower(a)]; dup {
			fail(key, "%q is also attributes[%d]", a, j)
			continue
		}
		seen[strings.ToLower(a)] = i
		s.attributes = append(s.attributes, a)
	}
	for i, a := range cfg.Required {
		if !readable(fmt.Sprintf("required[%d]", i), a, " and always present") {
			continue
		}
		s.required = append(s.required, a)
		if _, ok := seen[strings.ToLower(a)]; !ok {
			seen[strings.ToLower(a)] = -1
			s.attributes = append(s.attributes, a)
		}
	}
	switch cfg.OnMissing {
	case "", "fail":
	case "skip":
		s.skip = true
	default:
		fail("on_missing", "%q is not fail or skip", cfg.OnMissing)
	}

	// Incremental.
	s.hwAttr = cfg.Incremental
	if s.hwAttr == "" {
		s.hwAttr = "modifyTimestamp"
		if s.ad {
			s.hwAttr = "uSNChanged"
		}
	} else if canon, ok := hwAttrs[strings.ToLower(s.hwAttr)]; !ok {
		fail("incremental", "%q is not uSNChanged, whenChanged, modifyTimestamp or entryCSN", s.hwAttr)
	} else {
		s.hwAttr = canon
		if s.ad && canon == "entryCSN" {
			fail("incremental", "entryCSN is OpenLDAP's; on AD use uSNChanged (default) or whenChanged")
		}
		if !s.ad && (canon == "uSNChanged" || canon == "whenChanged") {
			fail("incremental", "%s is Active Directory's; on OpenLDAP use modifyTimestamp (default) or entryCSN", canon)
		}
	}

	return s, p.Err()
}

var hwAttrs = map[string]string{
	"usnchanged":      "uSNChanged",
	"whenchanged":     "whenChanged",
	"modifytimestamp": "modifyTimestamp",
	"entrycsn":        "entryCSN",
}

func isComputed(a string) bool {
	switch strings.ToLower(a) {
	case attrDN, attrOUPath, attrGroups, attrDisabled:
		return true
	}
	return false
}

func newSearch(p *config.Problems, key string, c Search, defFilter string) search {
	s := search{cfgKey: "source.ldap." + key, base: c.BaseDN, filter: c.Filter}
	if strings.TrimSpace(c.BaseDN) == "" {
		p.Add(key+".base_dn", "required")
	} else if d, err := goldap.ParseDN(c.BaseDN); err != nil {
		p.Add(key+".base_dn", "%q is not a DN: %v", c.BaseDN, err)
	} else {
		s.nbase = normParsed(d)
		s.depth = len(d.RDNs)
	}
	if s.filter == "" {
		s.filter = defFilter
	} else {
		if !strings.HasPrefix(s.filter, "(") {
			s.filter = "(" + s.filter + ")"
		}
		if _, err := goldap.CompileFilter(s.filter); err != nil {
			p.Add(key+".filter", "%q: %v", c.Filter, err)
		}
	}
	switch c.Scope {
	case "", "sub":
		s.scope = goldap.ScopeWholeSubtree
	case "one":
		s.scope = goldap.ScopeSingleLevel
	default:
		p.Add(key+".scope", "%q is not sub or one", c.Scope)
	}
	return s
}

func loadCA(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// attrsEqual compares attribute descriptions as LDAP does, ignoring case.
func attrsEqual(a, b string) bool { return strings.EqualFold(a, b) }

// appendAttr adds a to list unless it is there already (ignoring case).
func appendAttr(list []string, a ...string) []string {
	for _, x := range a {
		if x == "" || slices.ContainsFunc(list, func(y string) bool { return attrsEqual(x, y) }) {
			continue
		}
		list = append(list, x)
	}
	return list
}
