package scim_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scim"
)

// exampleMapping is the mapping of configs/scim.yaml, the config the
// README's "Connect Entra ID" and "Connect Okta" start from, loaded and
// compiled as serve does.
func exampleMapping(t *testing.T) scim.Mapping {
	t.Helper()
	file, err := registry.Load(filepath.Join("..", "configs", "scim.yaml"))
	if err != nil {
		t.Fatalf("configs/scim.yaml: %v", err)
	}
	job := file.Jobs[0]
	rules, err := mapping.Compile(job.Mapping, "jobs[0].mapping")
	if err != nil {
		t.Fatalf("configs/scim.yaml: %v", err)
	}
	return scim.Mapping{Job: job.Name, Rules: rules, Config: job.Mapping, GroupsAs: mapping.KindGroup}
}

// filterPath is a list request with a filter, encoded as clients send it.
func filterPath(endpoint, filter string, more ...string) string {
	q := url.Values{"filter": {filter}}
	for i := 0; i+1 < len(more); i += 2 {
		q.Set(more[i], more[i+1])
	}
	return "/scim/v2/" + endpoint + "?" + q.Encode()
}

// TestConnectEntra replays what Entra ID's provisioning service sends,
// in order, against the endpoint with configs/scim.yaml's mapping: every
// status the README's "Connect Entra ID" names is asserted here.
func TestConnectEntra(t *testing.T) {
	e := newEnv(t, withMappings(mappings(exampleMapping(t))))
	users, groups := "/scim/v2/Users", "/scim/v2/Groups"

	// "Test Connection": a wrong or missing token is 401; with the token,
	// a filter on a userName nobody has is 200 with totalResults 0.
	probe := filterPath("Users", `userName eq "2f3a9c1e-5b7d-4e0a-9c8b-1d2e3f4a5b6c"`)
	for _, auth := range []string{"Bearer wrong-token", ""} {
		status, h, body := e.do(t, http.MethodGet, probe, "", "Authorization", auth)
		assertSCIMError(t, status, h, body, http.StatusUnauthorized, "")
	}
	if _, list := e.must(t, http.StatusOK, http.MethodGet, probe, ""); total(list) != 0 {
		t.Fatalf("Test Connection: %v", list)
	}

	ids := map[string]string{}
	runSteps(t, []step{
		// Each create is preceded by a lookup on the matching attribute.
		{name: "lookup before create", method: "GET", path: filterPath("Users", `userName eq "aiko@contoso.example"`), status: http.StatusOK},
		{name: "create", method: "POST", path: users, status: http.StatusCreated, save: "aiko",
			body: entraUser(t, "aiko@contoso.example", "佐藤 愛子", "Aiko.Sato@contoso.example", "佐藤", "愛子", "Staff")},
		{name: "lookup finds it", method: "GET", path: filterPath("Users", `userName eq "AIKO@contoso.example"`), status: http.StatusOK},
		{name: "get by id", method: "GET", path: users + "/{{aiko}}", status: http.StatusOK},
		{name: "a second create of the same userName", method: "POST", path: users, status: http.StatusConflict,
			body: entraUser(t, "Aiko@Contoso.example", "佐藤 愛子", "other@contoso.example", "佐藤", "愛子", "Staff")},
		{name: "another user with the same mail", method: "POST", path: users, status: http.StatusConflict,
			body: entraUser(t, "aiko2@contoso.example", "佐藤 愛子", "aiko.sato@CONTOSO.example", "佐藤", "愛子", "Staff")},
		{name: "a user the mapping cannot name", method: "POST", path: users, status: http.StatusBadRequest,
			body: body(t, "entra_create_minimal.json")},
		{name: "update: the work e-mail and department", method: "PATCH", path: users + "/{{aiko}}", status: http.StatusNoContent,
			body: body(t, "entra_patch_email.json", "email", "aiko.sato@new.example")},
		{name: "disable (active False, names removed)", method: "PATCH", path: users + "/{{aiko}}", status: http.StatusNoContent,
			body: body(t, "entra_patch_disable_remove_names.json")},
		{name: "group lookup", method: "GET", path: filterPath("Groups", `displayName eq "Sales"`, "excludedAttributes", "members"), status: http.StatusOK},
		{name: "group create", method: "POST", path: groups, status: http.StatusCreated, save: "sales",
			body: body(t, "entra_group.json", "externalId", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")},
		{name: "add a member", method: "PATCH", path: groups + "/{{sales}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"{{aiko}}"}]}]}`},
		{name: "remove the member", method: "PATCH", path: groups + "/{{sales}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members[value eq \"{{aiko}}\"]"}]}`},
		{name: "delete the user", method: "DELETE", path: users + "/{{aiko}}", status: http.StatusNoContent},
		{name: "the deleted user", method: "GET", path: users + "/{{aiko}}", status: http.StatusNotFound},
		{name: "delete the group", method: "DELETE", path: groups + "/{{sales}}", status: http.StatusNoContent},
	}, ids, e)

	// The refusals carry what the provisioning log shows.
	status, h, refused := e.do(t, http.MethodPost, users, body(t, "entra_create_minimal.json"))
	assertSCIMError(t, status, h, refused, http.StatusBadRequest, "invalidValue")
	if d := str(refused, "detail"); !containsAll(d, "displayName", "name.familyName", "name.givenName", "users.name") {
		t.Errorf("400 detail %q names neither the attributes nor the template", d)
	}
	status, _, dup := e.do(t, http.MethodPost, users, entraUser(t, "new@contoso.example", "x", "aiko.sato@new.example", "a", "b", "Staff"))
	// The deleted user's mail is free again.
	if status != http.StatusCreated {
		t.Errorf("a create with a deleted user's mail: status %d %v", status, dup)
	}
	status, h, dup = e.do(t, http.MethodPost, users, entraUser(t, "NEW@contoso.example", "x", "y@contoso.example", "a", "b", "Staff"))
	assertSCIMError(t, status, h, dup, http.StatusConflict, "uniqueness")
	t.Logf("400: %s\n409: %s", str(refused, "detail"), str(dup, "detail"))
}

// TestConnectOkta replays what Okta's SCIM 2.0 provisioning sends, with
// Push Groups, against configs/scim.yaml's mapping: the statuses of the
// README's "Connect Okta".
func TestConnectOkta(t *testing.T) {
	e := newEnv(t, withMappings(mappings(exampleMapping(t))))
	users, groups := "/scim/v2/Users", "/scim/v2/Groups"
	ids := map[string]string{}
	runSteps(t, []step{
		// "Test Connector Configuration" lists a page of users.
		{name: "test connector", method: "GET", path: users + "?startIndex=1&count=2", status: http.StatusOK},
		{name: "import users", method: "GET", path: users + "?startIndex=1&count=100", status: http.StatusOK},
		{name: "lookup before create", method: "GET", path: filterPath("Users", `userName eq "dade.murphy@example.com"`, "startIndex", "1", "count", "100"), status: http.StatusOK},
		{name: "create", method: "POST", path: users, status: http.StatusCreated, save: "dade",
			body: oktaUser(t, "okta_create.json", "dade.murphy@example.com", "dade.murphy@example.com", "Dade", "Murphy")},
		{name: "get by id", method: "GET", path: users + "/{{dade}}", status: http.StatusOK},
		{name: "profile update by PUT", method: "PUT", path: users + "/{{dade}}", status: http.StatusOK,
			body: oktaUser(t, "okta_put.json", "dade.murphy@example.com", "dade.murphy@example.com", "Crash", "Override", "active", "true")},
		{name: "a create with empty names", method: "POST", path: users, status: http.StatusBadRequest,
			body: oktaUser(t, "okta_create.json", "kate.libby@example.com", "kate.libby@example.com", "", "")},
		{name: "a create of a taken userName", method: "POST", path: users, status: http.StatusConflict,
			body: oktaUser(t, "okta_create.json", "Dade.Murphy@example.com", "zero.cool@example.com", "Zero", "Cool")},
		{name: "deactivate by PATCH", method: "PATCH", path: users + "/{{dade}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`},
		{name: "reactivate by PATCH", method: "PATCH", path: users + "/{{dade}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}`},
		{name: "deactivate by PUT", method: "PUT", path: users + "/{{dade}}", status: http.StatusOK,
			body: oktaUser(t, "okta_put.json", "dade.murphy@example.com", "dade.murphy@example.com", "", "", "active", "false")},
		// Push Groups.
		{name: "push a group", method: "POST", path: groups, status: http.StatusCreated, save: "eng",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[{"value":"{{dade}}","display":"dade.murphy@example.com"}]}`},
		{name: "rename the group", method: "PATCH", path: groups + "/{{eng}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"{{eng}}","displayName":"Engineering JP"}}]}`},
		{name: "remove the member", method: "PATCH", path: groups + "/{{eng}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"{{dade}}\"]"}]}`},
		{name: "add the member back", method: "PATCH", path: groups + "/{{eng}}", status: http.StatusNoContent,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{{dade}}"}]}]}`},
		{name: "get the group", method: "GET", path: groups + "/{{eng}}", status: http.StatusOK},
		{name: "unpush the group (delete)", method: "DELETE", path: groups + "/{{eng}}", status: http.StatusNoContent},
	}, ids, e)

	_, got := e.must(t, http.StatusOK, http.MethodGet, users+"/"+ids["dade"], "")
	if get(got, "active") != false || str(got, "name", "givenName") != "" {
		t.Errorf("after the deactivating PUT: %v", got)
	}
	status, h, refused := e.do(t, http.MethodPost, users, oktaUser(t, "okta_create.json", "kate.libby@example.com", "kate.libby@example.com", "", ""))
	assertSCIMError(t, status, h, refused, http.StatusBadRequest, "invalidValue")
	status, h, dup := e.do(t, http.MethodPost, users, oktaUser(t, "okta_create.json", "DADE.murphy@example.com", "x@example.com", "A", "B"))
	assertSCIMError(t, status, h, dup, http.StatusConflict, "uniqueness")
	t.Logf("400: %s\n409: %s", str(refused, "detail"), str(dup, "detail"))
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
