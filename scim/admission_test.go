package scim_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/golden"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scim"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// jobMapping compiles testdata/admission/<file> as the mapping of job
// "scim-to-aircourse", the first job of its config.
func jobMapping(t testing.TB, file string, groupsAs mapping.Kind) scim.Mapping {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "admission", file))
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Mapping
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	rules, err := mapping.Compile(cfg, "jobs[0].mapping")
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return scim.Mapping{Job: "scim-to-aircourse", Rules: rules, Config: cfg, GroupsAs: groupsAs}
}

// withMappings makes the endpoint check pushes against what current holds
// at each push.
func withMappings(current *atomic.Pointer[[]scim.Mapping]) envOption {
	return func(o *scim.Options) { o.Mappings = func() []scim.Mapping { return *current.Load() } }
}

func mappings(ms ...scim.Mapping) *atomic.Pointer[[]scim.Mapping] {
	p := &atomic.Pointer[[]scim.Mapping]{}
	p.Store(&ms)
	return p
}

// step is one request of an identity provider and what the endpoint must
// answer: the status and, for an error, the body in
// testdata/admission/<golden>.golden (ids written as <name>).
type step struct {
	name, method, path, body string
	status                   int
	golden                   string
	// save keeps the created resource's id under this name, for the
	// paths and bodies of later steps ({{name}}) and golden files.
	save string
}

// run sends the steps in order on the endpoints given (step i on
// replicas[i % len]).
func runSteps(t *testing.T, steps []step, ids map[string]string, replicas ...*env) {
	t.Helper()
	for i, s := range steps {
		e := replicas[i%len(replicas)]
		var repl []string
		for name, id := range ids {
			repl = append(repl, "{{"+name+"}}", id)
		}
		r := strings.NewReplacer(repl...)
		status, h, body := e.do(t, s.method, r.Replace(s.path), r.Replace(s.body))
		if status != s.status {
			t.Fatalf("%s: %s %s: status %d, want %d; body %v", s.name, s.method, s.path, status, s.status, body)
		}
		if s.save != "" {
			ids[s.save] = str(body, "id")
		}
		if s.golden == "" {
			continue
		}
		assertSCIMError(t, status, h, body, s.status, "")
		out, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got := string(out) + "\n"
		for name, id := range ids {
			got = strings.ReplaceAll(got, id, "<"+name+">")
		}
		golden.Check(t, filepath.Join("testdata", "admission", s.golden+".golden"), got, *updateGolden)
	}
}

// body is a fixture of testdata/admission with its placeholders filled in
// (name/value pairs).
func body(t testing.TB, name string, kv ...string) string {
	t.Helper()
	repl := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		repl = append(repl, "{{"+kv[i]+"}}", kv[i+1])
	}
	return fixture(t, filepath.Join("admission", name), repl...)
}

func entraUser(t testing.TB, userName, display, email, family, given, organization string) string {
	return body(t, "entra_create.json", "userName", userName, "displayName", display, "email", email,
		"familyName", family, "givenName", given, "organization", organization)
}

func oktaUser(t testing.TB, file, userName, email, given, family string, kv ...string) string {
	return body(t, file, append([]string{"userName", userName, "email", email, "givenName", given, "familyName", family}, kv...)...)
}

// Entra's and Okta's requests, as they send them, against the mapping of
// configs/scim.yaml: what the mapping can make a user of is stored, what
// it cannot is refused with the attributes to fix, and a deactivation or
// a delete goes through whatever the rest of the user looks like.
func TestAdmissionRequestShapes(t *testing.T) {
	e := newEnv(t, withMappings(mappings(jobMapping(t, "mapping.yaml", mapping.KindGroup))))
	users, groups := "/scim/v2/Users", "/scim/v2/Groups"
	runSteps(t, []step{
		{name: "Entra: a complete create", method: "POST", path: users, status: http.StatusCreated, save: "aiko",
			body: entraUser(t, "aiko@contoso.example", "佐藤 愛子", "Aiko.Sato@contoso.example", "佐藤", "愛子", "Staff")},
		{name: "Entra: userName, emails and the extension only", method: "POST", path: users, status: http.StatusBadRequest,
			body: body(t, "entra_create_minimal.json"), golden: "entra_create_minimal"},
		{name: "Okta: name without displayName", method: "POST", path: users, status: http.StatusCreated, save: "dade",
			body: oktaUser(t, "okta_create.json", "dade.murphy@example.com", "dade.murphy@example.com", "Dade", "Murphy")},
		{name: "Okta: empty names", method: "POST", path: users, status: http.StatusBadRequest,
			body: oktaUser(t, "okta_create.json", "kate.libby@example.com", "kate.libby@example.com", "", ""), golden: "okta_create_empty_names"},
		{name: "Entra: the work e-mail by a value path", method: "PATCH", path: users + "/{{aiko}}", status: http.StatusNoContent,
			body: body(t, "entra_patch_email.json", "email", "aiko.sato@new.example")},
		{name: "Entra: every name removed", method: "PATCH", path: users + "/{{aiko}}", status: http.StatusBadRequest,
			body: body(t, "entra_patch_remove_names.json"), golden: "entra_patch_remove_names"},
		{name: "Entra: a deactivation is never refused", method: "PATCH", path: users + "/{{aiko}}", status: http.StatusNoContent,
			body: body(t, "entra_patch_disable_remove_names.json")},
		{name: "Okta: a PUT emptying the names", method: "PUT", path: users + "/{{dade}}", status: http.StatusBadRequest,
			body:   oktaUser(t, "okta_put.json", "dade.murphy@example.com", "dade.murphy@example.com", "", "", "active", "true"),
			golden: "okta_put_empty_names"},
		{name: "Okta: a PUT deactivating, names empty", method: "PUT", path: users + "/{{dade}}", status: http.StatusOK,
			body: oktaUser(t, "okta_put.json", "dade.murphy@example.com", "dade.murphy@example.com", "", "", "active", "false")},
		{name: "out of the job's scope (userType Contractor): nothing to map", method: "POST", path: users, status: http.StatusCreated,
			body: userBody(t, "temp@example.com", map[string]any{"userType": "Contractor"})},
		{name: "Entra: a group", method: "POST", path: groups, status: http.StatusCreated,
			body: body(t, "entra_group.json", "externalId", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")},
		{name: "a delete is never refused", method: "DELETE", path: users + "/{{dade}}", status: http.StatusNoContent},
	}, map[string]string{}, e)

	// What was refused was not stored.
	if list := e.list(t, "Users", "filter", `userName eq "minimal@contoso.example"`); total(list) != 0 {
		t.Errorf("a refused create was stored: %v", list)
	}
	list := e.list(t, "Users", "filter", `userName eq "aiko@contoso.example"`)
	if rs := resources(t, list); len(rs) != 1 || get(rs[0], "active") != false || str(rs[0], "emails", 0, "value") != "aiko.sato@new.example" {
		t.Errorf("aiko after the PATCHes: %v", list)
	}
}

// With groups_as: orgs a Group is an org: one whose org key template reads
// an attribute the Group lacks is refused naming it. A role value the
// mapping has no entry (and no default) for is refused naming the
// attribute it is read from.
func TestAdmissionGroupsAsOrgs(t *testing.T) {
	e := newEnv(t, withMappings(mappings(jobMapping(t, "mapping_orgs.yaml", mapping.KindOrg))))
	users, groups := "/scim/v2/Users", "/scim/v2/Groups"
	runSteps(t, []step{
		{name: "a Group without externalId", method: "POST", path: groups, status: http.StatusBadRequest,
			body: body(t, "entra_group.json", "externalId", ""), golden: "orgs_group_without_key"},
		{name: "a Group with externalId", method: "POST", path: groups, status: http.StatusCreated,
			body: body(t, "entra_group.json", "externalId", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")},
		{name: "a role value out of the map", method: "POST", path: users, status: http.StatusBadRequest,
			body: entraUser(t, "aiko@contoso.example", "佐藤 愛子", "aiko@contoso.example", "", "", "Contractors"), golden: "orgs_role_value"},
		{name: "a role value in the map", method: "POST", path: users, status: http.StatusCreated,
			body: entraUser(t, "aiko@contoso.example", "佐藤 愛子", "aiko@contoso.example", "", "", "Admins")},
	}, map[string]string{}, e)
}

// A reloaded config applies to the next push: the same request refused
// under one mapping is stored under the next.
func TestAdmissionFollowsReload(t *testing.T) {
	current := mappings(jobMapping(t, "mapping.yaml", mapping.KindGroup))
	e := newEnv(t, withMappings(current))
	minimal := body(t, "entra_create_minimal.json")
	e.must(t, http.StatusBadRequest, http.MethodPost, "/scim/v2/Users", minimal)
	next := []scim.Mapping{jobMapping(t, "mapping_username.yaml", mapping.KindGroup)}
	current.Store(&next)
	e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", minimal)
	// No job reads the endpoint: nothing is checked.
	current.Store(&[]scim.Mapping{})
	e.must(t, http.StatusCreated, http.MethodPost, "/scim/v2/Users", userBody(t, "bare@example.com", nil))
}

// Uniqueness, on two endpoints over one SQLite file (two replicas): the
// mapped e-mail is unique case-insensitively, as the mapping compares it;
// each replica sees what the other stored.
func TestAdmissionUniquenessReplicas(t *testing.T) {
	ms := mappings(jobMapping(t, "mapping.yaml", mapping.KindGroup))
	a := newEnv(t, withMappings(ms))
	admissionUniqueness(t, a, serveEnv(t, a.store, withMappings(ms)))
}

// The same with two replicas on one PostgreSQL database, each with its
// own pool.
func TestAdmissionUniquenessPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ms := mappings(jobMapping(t, "mapping.yaml", mapping.KindGroup))
	var envs []*env
	for range 2 {
		st, err := store.OpenPostgres(context.Background(), dsn, nil)
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		envs = append(envs, serveEnv(t, st, withMappings(ms)))
	}
	admissionUniqueness(t, envs...)
}

// admissionUniqueness alternates the steps between the two replicas: every
// conflict is found by the replica that did not store the other user,
// after its index was built (its first push), so from the store's changes.
func admissionUniqueness(t *testing.T, replicas ...*env) {
	users := "/scim/v2/Users"
	okta := func(userName, email, given string, kv ...string) string {
		return oktaUser(t, "okta_create.json", userName, email, given, "Murphy", kv...)
	}
	put := func(userName, email, given string) string {
		return oktaUser(t, "okta_put.json", userName, email, given, "Libby", "active", "true")
	}
	runSteps(t, []step{
		{name: "replica 0: kate", method: "POST", path: users, status: http.StatusCreated, save: "kate",
			body: okta("kate.libby@example.com", "kate.libby@example.com", "Kate")},
		{name: "replica 1: dade", method: "POST", path: users, status: http.StatusCreated, save: "dade",
			body: okta("dade.murphy@example.com", "Dade.Murphy@example.com", "Dade")},
		{name: "replica 0: an e-mail differing from dade's only in case", method: "POST", path: users, status: http.StatusConflict,
			body: okta("crash.override@example.com", "dade.murphy@EXAMPLE.com", "Crash"), golden: "unique_email_case"},
		{name: "replica 1: a PUT giving kate dade's e-mail", method: "PUT", path: users + "/{{kate}}", status: http.StatusConflict,
			body: put("kate.libby@example.com", "DADE.MURPHY@example.com", "Kate"), golden: "unique_email_put"},
		{name: "replica 0: a PUT keeping kate's own e-mail", method: "PUT", path: users + "/{{kate}}", status: http.StatusOK,
			body: put("kate.libby@example.com", "Kate.Libby@example.com", "Katherine")},
		{name: "replica 1: dade deleted", method: "DELETE", path: users + "/{{dade}}", status: http.StatusNoContent},
		{name: "replica 0: his e-mail is free again", method: "POST", path: users, status: http.StatusCreated,
			body: okta("crash.override@example.com", "dade.murphy@EXAMPLE.com", "Crash")},
		{name: "replica 1: and taken", method: "POST", path: users, status: http.StatusConflict,
			body: okta("zero.cool@example.com", "Dade.Murphy@example.com", "Zero")},
	}, map[string]string{}, replicas...)
}
