package ldap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// checkPageSize is the page the check reads of each search: enough to see
// that the base and filter find entries, not a read of the directory.
const checkPageSize = 5

// Check connects as a read would, one line per step: connect (TCP, and the
// TLS handshake of ldaps://), StartTLS, bind, then one page of the users
// search (and of the groups search) under its base_dn. A step that fails
// ends the check with its reason: an unreachable domain controller at
// connect, a wrong password at bind ("invalid credentials"), a base DN that
// does not exist at its search ("no such object"). Nothing is written.
func (cfg *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	opened, err := cfg.Open(ctx, env.Env)
	if err != nil {
		return []connectors.CheckResult{{Check: "ldap settings", Err: err}}
	}
	src := opened.(*Source)
	s := &src.s
	steps := []connectors.CheckResult{{Check: "connect to " + s.addr, Key: "source.ldap.url"}}
	if s.startTLS {
		steps = append(steps, connectors.CheckResult{Check: "StartTLS", Key: "source.ldap.start_tls"})
	}
	steps = append(steps, connectors.CheckResult{Check: fmt.Sprintf("bind as %s", s.bindDN), Key: "source.ldap.bind_dn"})
	sess, err := src.open(ctx)
	if err != nil {
		// open's errors begin with the key of the step that failed; the
		// steps before it passed.
		for i := range steps {
			if strings.HasPrefix(err.Error(), steps[i].Key+":") {
				msg := strings.TrimPrefix(err.Error(), steps[i].Key+": ")
				// The step's line names the DN already.
				msg = strings.TrimPrefix(msg, fmt.Sprintf("bind as %q: ", s.bindDN))
				steps[i].Err = errors.New(msg)
				return steps[:i+1]
			}
		}
		steps[0].Err = err
		return steps[:1]
	}
	defer sess.close()
	if s.ldaps {
		steps[0].Detail = "TLS"
	}
	out := steps
	searches := []*search{&s.users}
	if s.groups != nil {
		searches = append(searches, s.groups)
	}
	for _, sp := range searches {
		out = append(out, sess.checkSearch(ctx, sp))
	}
	return out
}

// checkSearch reads the first page of one configured search.
func (sess *session) checkSearch(ctx context.Context, sp *search) connectors.CheckResult {
	r := connectors.CheckResult{
		Check: fmt.Sprintf("read one page under %s", sp.base),
		Key:   sp.cfgKey + ".base_dn",
	}
	req := goldap.NewSearchRequest(sp.base, sp.scope, goldap.NeverDerefAliases, 0, 0, false, sp.filter, []string{"1.1"},
		[]goldap.Control{goldap.NewControlPaging(checkPageSize)})
	n := 0
	if _, err := sess.searchPage(ctx, req, func(*goldap.Entry) error { n++; return nil }); err != nil {
		switch {
		case goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject):
			r.Err = fmt.Errorf("base_dn %q does not exist on the server: %w", sp.base, err)
		case goldap.IsErrorWithCode(err, goldap.LDAPResultInsufficientAccessRights):
			r.Err = fmt.Errorf("the bind DN may not search %q: %w", sp.base, err)
		default:
			r.Err = fmt.Errorf("search %q with filter %s: %w", sp.base, sp.filter, err)
		}
		return r
	}
	if n == 0 {
		// Not a failure (a new directory may be empty), but worth saying:
		// a sync of it would find nothing, which the guard refuses.
		r.Detail = fmt.Sprintf("no entry matches %s", sp.filter)
		return r
	}
	r.Detail = fmt.Sprintf("%d entries on the first page (filter %s)", n, sp.filter)
	return r
}
