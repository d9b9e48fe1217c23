package main

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/configs"
)

// scimTargetConfig is configs/scim-target.yaml pointed at a SCIM base URL,
// with the demo export beside it, in its own directory (its own store).
func scimTargetConfig(t *testing.T, base string) cli {
	t.Helper()
	dir := t.TempDir()
	if err := writeDemoFiles(dir); err != nil {
		t.Fatal(err)
	}
	data, err := configs.Files.ReadFile("scim-target.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const shipped = "http://127.0.0.1:8443/scim/v2"
	if !strings.Contains(string(data), shipped) {
		t.Fatalf("scim-target.yaml has no %s", shipped)
	}
	cfg := strings.Replace(string(data), shipped, base, 1)
	if err := os.WriteFile(filepath.Join(dir, "scim-target.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cli{t: t, dir: dir}
}

// scimHeld is what a SCIM endpoint holds, read back over SCIM as any
// client would: users by userName, and each group's members by userName.
type scimHeld struct {
	users  map[string]map[string]any
	groups map[string][]string
}

func readSCIM(t *testing.T, d *daemon) scimHeld {
	t.Helper()
	list := func(path string) []map[string]any {
		var out []map[string]any
		for start := 1; ; {
			page := d.push("GET", path+"?count=50&startIndex="+strconv.Itoa(start), "", 200)
			res, _ := page["Resources"].([]any)
			for _, r := range res {
				out = append(out, r.(map[string]any))
			}
			total, _ := page["totalResults"].(float64)
			if len(res) == 0 || len(out) >= int(total) {
				return out
			}
			start += len(res)
		}
	}
	h := scimHeld{users: map[string]map[string]any{}, groups: map[string][]string{}}
	byID := map[string]string{}
	for _, u := range list("/Users") {
		name, _ := u["userName"].(string)
		h.users[name] = u
		byID[u["id"].(string)] = name
	}
	for _, g := range list("/Groups") {
		var members []string
		ms, _ := g["members"].([]any)
		for _, m := range ms {
			members = append(members, byID[m.(map[string]any)["value"].(string)])
		}
		slices.Sort(members)
		h.groups[g["displayName"].(string)] = members
	}
	return h
}

// counter is a reverse proxy in front of a SCIM endpoint that counts what
// the scim target asks of it, by method and collection ("GET /Users",
// "GET /Users?filter", "PATCH /Groups/{id}"), run by run.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
	proxy  *httputil.ReverseProxy
}

func newCounter(t *testing.T, base string) (*counter, string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{counts: map[string]int{}, proxy: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv.URL + u.Path
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, rest, _ := strings.Cut(r.URL.Path, "/scim/v2")
	parts := strings.SplitN(strings.TrimPrefix(rest, "/"), "/", 2)
	key := r.Method + " /" + parts[0]
	if len(parts) == 2 {
		key += "/{id}"
	}
	if q := r.URL.Query(); q.Has("filter") {
		key += "?filter"
	} else if q.Has("attributes") {
		key += "?attributes"
	}
	rec := httptest.NewRecorder()
	c.proxy.ServeHTTP(rec, r)
	if rec.Code >= 300 {
		key += fmt.Sprintf(" %d", rec.Code)
	}
	c.mu.Lock()
	c.counts[key]++
	c.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// take returns the counts since the last take, and their total.
func (c *counter) take() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, total := c.counts, 0
	for _, n := range out {
		total += n
	}
	c.counts = map[string]int{}
	return out, total
}

func (c *counter) describe(counts map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(&b, " %s:%d", k, counts[k])
	}
	return b.String()
}

// checkRequests compares a run's request counts with want; a key of
// want that ends in "+" is a range (at least lo, at most hi) for what the
// executor's timing decides (how many member changes of a Group arrive
// while one is in flight and go in one PATCH).
func checkRequests(t *testing.T, run string, got map[string]int, want map[string]int, ranges map[string][2]int) {
	t.Helper()
	for k, n := range got {
		if r, ok := ranges[k]; ok {
			if n < r[0] || n > r[1] {
				t.Errorf("%s: %d × %s, want %d to %d", run, n, k, r[0], r[1])
			}
		} else if want[k] != n {
			t.Errorf("%s: %d × %s, want %d", run, n, k, want[k])
		}
	}
	for k, n := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: no %s, want %d", run, k, n)
		}
	}
}

// The scim target end to end: `orgbridge sync -c configs/scim-target.yaml`
// provisions the demo export into the SCIM endpoint of `orgbridge serve`
// (configs/scim.yaml, which relays to an AirCourse emulator); a rename, a
// move and a leaver follow on the second export; a third run plans nothing.
// A proxy in front of the endpoint counts each run's requests (the
// README's figures: go test -run SCIMTarget -v ./cmd/orgbridge/).
func TestEndToEndSCIMTarget(t *testing.T) {
	_, srv, work := scimSetup(t)
	d := startServe(t, scimConfig(t, work, srv.URL, "200ms"))
	defer d.stop()
	requests, base := newCounter(t, d.base)
	c := scimTargetConfig(t, base)
	cfg := filepath.Join(c.dir, "scim-target.yaml")
	if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}

	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK {
		t.Fatalf("sync 1: exit %d\n%s\n%s", code, out, errs)
	}
	counts, total := requests.take()
	t.Logf("sync 1: %d requests:%s", total, requests.describe(counts))
	// One read of an empty endpoint, whole: the 11 users and 9 Groups
	// are POSTed with no natural-key lookup (the read listed every
	// object, and none has their keys); the 17 memberships PATCHed by
	// Group (at least one PATCH each, a batch when changes queue), each
	// with the version the POST or the last PATCH gave (the endpoint's
	// 204 carries its ETag): no GET of a Group.
	checkRequests(t, "sync 1", counts, map[string]int{
		"GET /ServiceProviderConfig": 1, "GET /Users": 1, "GET /Groups": 1, "POST /Users": 11, "POST /Groups": 9,
	}, map[string][2]int{"PATCH /Groups/{id}": {9, 17}})
	h := readSCIM(t, d)
	if len(h.users) != 11 {
		t.Fatalf("sync 1: %d users in the endpoint, want 11 (the leaver 1012 out of scope): %v", len(h.users), keys(h.users))
	}
	if _, ok := h.users["e1012"]; ok {
		t.Error("sync 1: the employee who left (退職) was created")
	}
	if h.users["e1009"]["active"] != false || h.users["e1001"]["active"] != true {
		t.Errorf("sync 1: active of 1009 (on leave) %v, of 1001 %v", h.users["e1009"]["active"], h.users["e1001"]["active"])
	}
	u := h.users["e1003"]
	ext, _ := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	if u["displayName"] != "鈴木 一郎" || u["title"] != "課長" || ext["employeeNumber"] != "1003" || ext["department"] != "本社/営業部/第一課" {
		t.Errorf("sync 1: 1003 is %v", u)
	}
	if emails, _ := u["emails"].([]any); len(emails) != 1 || emails[0].(map[string]any)["value"] != "ichiro.suzuki@example.co.jp" {
		t.Errorf("sync 1: 1003's emails %v", u["emails"])
	}
	for name, want := range map[string][]string{
		"本社 / 営業部 / 第一課": {"e1003", "e1004"},
		"本社":             {"e1001"},
		"新人研修":           {"e1004", "e1006", "e1011"},
		"安全衛生委員会":        {"e1007", "e1010", "e1011"},
	} {
		if got := h.groups[name]; !slices.Equal(got, want) {
			t.Errorf("sync 1: group %q holds %v, want %v", name, got, want)
		}
	}
	if len(h.groups) != 9 {
		t.Errorf("sync 1: %d groups, want 9 (7 orgs, 2 groups): %v", len(h.groups), h.groups)
	}

	// Second export: a rename, a move, a leaver.
	c.useExport("users_v2.csv")
	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK {
		t.Fatalf("sync 2: exit %d\n%s\n%s", code, out, errs)
	}
	counts, total = requests.take()
	t.Logf("sync 2: %d requests:%s", total, requests.describe(counts))
	// The rename, the move's department, 1006's new title and the
	// leaver's active false (4 user PATCHes; the role change is no SCIM
	// change), the move out of one Group and into another.
	checkRequests(t, "sync 2", counts, map[string]int{
		"GET /ServiceProviderConfig": 1, "GET /Users": 1, "GET /Groups": 1, "PATCH /Users/{id}": 4, "PATCH /Groups/{id}": 2,
	}, nil)
	h = readSCIM(t, d)
	if got := h.users["e1002"]["displayName"]; got != "木村 花子" {
		t.Errorf("rename: 1002 is %v", got)
	}
	if got := h.groups["本社 / 営業部 / 第一課"]; !slices.Equal(got, []string{"e1003"}) {
		t.Errorf("move: 第一課 holds %v", got)
	}
	if got := h.groups["本社 / 営業部 / 第二課"]; !slices.Contains(got, "e1004") {
		t.Errorf("move: 第二課 holds %v", got)
	}
	if h.users["e1008"]["active"] != false || len(h.users) != 11 {
		t.Errorf("leaver: 1008 active %v, %d users", h.users["e1008"]["active"], len(h.users))
	}

	// Third run, same export: nothing planned.
	code, out, errs := c.run("sync", "-c", cfg)
	if code != exitOK || !strings.Contains(out, "no changes") {
		t.Fatalf("sync 3: exit %d\n%s\n%s", code, out, errs)
	}
	counts, total = requests.take()
	t.Logf("sync 3: %d requests:%s", total, requests.describe(counts))
	// Nothing to do: ServiceProviderConfig and one page of each list
	// (the Groups carry their members: no /Schemas, no second listing).
	checkRequests(t, "sync 3", counts, map[string]int{"GET /ServiceProviderConfig": 1, "GET /Users": 1, "GET /Groups": 1}, nil)
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
