package scimtarget

import (
	"context"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Config is the target's block of a job (`target: {type: scim, scim:
// {...}}`): a SCIM 2.0 service provider (RFC 7643/7644).
type Config struct {
	// OAuthConfig: base_url, and for OAuth2 client credentials
	// token_url (required with them: a SCIM server's token endpoint is its
	// own), client_id, client_secret and scopes.
	httpkit.OAuthConfig `yaml:",inline"`
	// Token is a static bearer token; set it or client_id, not both.
	Token config.Secret `yaml:"token"`
	// PageSize is the count of a list request, 1..1000; default 100.
	PageSize int `yaml:"page_size"`
	// OrgsAs says where the mapping's orgs land: "groups" (the default),
	// SCIM Groups; or "department" / "organization", the user's
	// enterprise attribute of that name only (no org objects).
	OrgsAs string `yaml:"orgs_as"`
	// Attributes maps orgbridge's user fields (login_id, email, name,
	// key) and the mapping's user attributes to SCIM attribute paths;
	// entries are laid over DefaultAttributes, and "" drops one.
	Attributes map[string]string `yaml:"attributes"`
	// MaxOperations bounds the member operations of one group PATCH;
	// default 100, and never more than the server's bulk.maxOperations.
	MaxOperations        int `yaml:"max_operations"`
	httpkit.ClientConfig `yaml:",inline"`
}

var _ connectors.TargetConfig = (*Config)(nil)

// Defaults of the target config.
const (
	DefaultPageSize      = 100
	DefaultMaxOperations = 100
)

// The values of orgs_as.
const (
	OrgsAsGroups       = "groups"
	OrgsAsDepartment   = "department"
	OrgsAsOrganization = "organization"
)

// settings are a Config checked, with its defaults filled.
type settings struct {
	base, tokenURL string
	oauth          bool
	pageSize       int
	orgsAs         string
	attrs          attrMap
	maxOps         int
	http           httpkit.HTTPSettings
}

// Validate checks every key without I/O.
func (c *Config) Validate() error {
	_, err := c.check()
	return err
}

// Open builds the adapter; it makes no request.
func (c *Config) Open(ctx context.Context, env connectors.Env) (connectors.Target, error) {
	cfg := *c
	cfg.Token = cfg.Token.RelativeTo(env.BaseDir)
	cfg.ClientSecret = cfg.ClientSecret.RelativeTo(env.BaseDir)
	return New(ctx, cfg, env.Logger)
}

func (c *Config) check() (settings, error) {
	var p config.Problems
	var s settings
	tokenSet := c.Token.Env != "" || c.Token.File != ""
	s.oauth = c.oauth()
	switch {
	case s.oauth && tokenSet:
		p.Add("token", "set either token or OAuth2 client credentials (client_id, client_secret, token_url), not both")
		s.base = httpkit.CheckBaseURL(&p, c.BaseURL)
	case s.oauth:
		s.base, s.tokenURL = c.OAuthConfig.Check(&p, func(string) string { return "" })
		if c.TokenURL == "" {
			p.Add("token_url", "required with client_id: the server's OAuth2 token endpoint")
		}
	default:
		s.base = httpkit.CheckBaseURL(&p, c.BaseURL)
		c.Token.Check(&p, "token")
	}
	if s.base != "" && !secureURL(s.base) {
		p.Add("base_url", "%q is plain http to another host: use https (http only to localhost)", c.BaseURL)
	}
	s.pageSize = checkCount(&p, "page_size", c.PageSize, DefaultPageSize, 1000)
	s.orgsAs = c.OrgsAs
	if s.orgsAs == "" {
		s.orgsAs = OrgsAsGroups
	} else if !slices.Contains([]string{OrgsAsGroups, OrgsAsDepartment, OrgsAsOrganization}, s.orgsAs) {
		p.Add("orgs_as", "%q is not groups, department or organization", s.orgsAs)
	}
	s.maxOps = checkCount(&p, "max_operations", c.MaxOperations, DefaultMaxOperations, 10000)
	s.attrs = checkAttributes(&p, c.Attributes, s.orgsAs)
	s.http = c.ClientConfig.Check(&p, "scim")
	return s, p.Err()
}

// checkCount is the setting v at key: def when unset (0), else v, which
// must be within 1..most.
func checkCount(p *config.Problems, key string, v, def, most int) int {
	if v == 0 {
		return def
	}
	if v < 1 || v > most {
		p.Add(key, "%d is not within 1..%d", v, most)
	}
	return v
}

// oauth: the block sets any key of OAuth2 client credentials.
func (c *Config) oauth() bool {
	return c.ClientID != "" || c.TokenURL != "" || c.ClientSecret.Env != "" || c.ClientSecret.File != "" || len(c.Scopes) > 0
}

// secureURL: https, or http to a loopback host (a test server, a local
// relay), where no token crosses the network in clear.
func secureURL(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "https" {
		return true // CheckBaseURL names a malformed one
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkAttributes parses the configured paths, lays them over the
// defaults (a default whose attribute the config maps from another field
// gives way) and records the problems: a path that names no attribute of
// the core User schema or the enterprise extension, two fields mapped to
// one attribute, active (the suspension's), login_id not userName, and,
// with orgs_as department or organization, that attribute unmapped.
func checkAttributes(p *config.Problems, conf map[string]string, orgsAs string) attrMap {
	out := attrMap{}
	byPath := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(conf)) {
		v := conf[name]
		key := "attributes." + name
		switch {
		case name == "":
			p.Add("attributes", "an empty field name")
			continue
		case v == "":
			continue
		}
		ap, err := parsePath(v)
		if err != nil {
			p.Add(key, "%v", err)
			continue
		}
		if prev, ok := byPath[ap.String()]; ok {
			p.Add(key, "%s is mapped from %s already", ap, prev)
			continue
		}
		if ap.attr == "active" {
			p.Add(key, "active is written from the user's suspension, not from a field")
			continue
		}
		byPath[ap.String()] = name
		out[name] = ap
	}
	// The defaults fill in what the config leaves out, unless it maps
	// their attribute from another field.
	for name, v := range DefaultAttributes {
		if _, set := conf[name]; set {
			continue
		}
		ap, err := parsePath(v)
		if err != nil {
			panic("scimtarget: default attribute " + name + ": " + err.Error())
		}
		if _, taken := byPath[ap.String()]; !taken {
			out[name] = ap
		}
	}
	if _, ok := out[FieldLoginID]; !ok {
		p.Add("attributes."+FieldLoginID, "required: userName must be written (map login_id to userName)")
	} else if out[FieldLoginID].attr != "userName" || out[FieldLoginID].enterprise {
		p.Add("attributes."+FieldLoginID, "%s: login_id is the user's userName, the key SCIM servers match users by", out[FieldLoginID])
	}
	if orgsAs == OrgsAsDepartment || orgsAs == OrgsAsOrganization {
		ap, ok := out[orgsAs]
		if !ok || !ap.enterprise || !strings.EqualFold(ap.attr, orgsAs) {
			p.Add("attributes."+orgsAs, "orgs_as %s writes the org as the user's enterprise %s: map %s to %s:%s", orgsAs, orgsAs, orgsAs, enterpriseURN, orgsAs)
		}
	}
	return out
}
