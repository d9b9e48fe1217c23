package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scheduler"
)

type recordsSource []connectors.Record

func (s recordsSource) Read(context.Context) ([]connectors.Record, error) { return s, nil }

// snapshotTarget holds a fixed actual state; explain only reads it.
type snapshotTarget struct{ snap mapping.Snapshot }

func (t snapshotTarget) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Users: true, CreatesUsers: true, SuspendsUsers: true, Roles: []mapping.Role{mapping.RoleMember}}
}

func (t snapshotTarget) Read(context.Context) (*mapping.Snapshot, error) {
	s := t.snap
	return &s, nil
}

func (t snapshotTarget) Apply(context.Context, connectors.Change, connectors.IDs) (connectors.Result, error) {
	panic("explain wrote to the target")
}

// /explain renders what orgbridge explain prints, as HTML and as JSON:
// a linked user whose name changed in the source (update, from → to), a
// name nothing has (404 with the closest), a bad request, an unknown job.
func TestExplainRoute(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Adopt(ctx, "hr", []store.Link{{Kind: mapping.KindUser, Key: "1002", TargetID: "T-2"}}); err != nil {
		t.Fatal(err)
	}
	rules, err := mapping.Compile(config.Mapping{Users: config.UserMapping{LoginID: "e{{.id}}", Name: "{{.name}}"}}, "jobs[0].mapping")
	if err != nil {
		t.Fatal(err)
	}
	src := recordsSource{{Kind: mapping.KindUser, Key: "1002", Origin: "users.csv:3", Attrs: map[string][]string{"id": {"1002"}, "name": {"木村 花子"}}}}
	tgt := snapshotTarget{mapping.Snapshot{Users: []mapping.User{{Key: "T-2", LoginID: "e1002", Name: "佐藤 花子"}}}}
	d := scheduler.NewDaemon([]*scheduler.Job{{Name: "hr", Source: src, Rules: rules, Target: tgt, Guard: scheduler.Guard{MaxDeleteRatio: 1, MaxDeleteCount: 10}}},
		scheduler.DaemonOptions{Store: st})
	h, err := New(Options{Store: st, Daemon: d, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": "Bearer " + token}

	if rec := do(h, "GET", "/explain?job=hr&key=E1002", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("/explain without the token: %d", rec.Code)
	}
	rec := do(h, "GET", "/explain?job=hr&key=E1002", auth)
	page := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("/explain: %d\n%s", rec.Code, page)
	}
	for _, want := range []string{
		`<h2 id="what">user <code>1002</code></h2>`,
		`found by login_id “E1002”`,
		`<h3><code>users.csv:3</code> key <code>1002</code>: mapped</h3>`,
		`<th scope="row"><code>users.name</code></th>`,
		`<td>“木村 花子”</td>`,
		`<code>{{.name}}</code>`,
		`target id <code>T-2</code>`,
		`<span class="num">1</span> <strong>update</strong> user <code>1002</code>: mapped fields differ from the target: name`,
		`<code>name</code>: “佐藤 花子” → “木村 花子”`,
		`no journal entry: no run has changed the object`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/explain lacks %q:\n%s", want, page)
		}
	}

	rec = do(h, "GET", "/explain?job=hr&key=1002&format=json", auth)
	var e scheduler.Explanation
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/explain JSON: %d %v\n%s", rec.Code, err, rec.Body)
	}
	if e.Key != "1002" || e.Link == nil || e.Link.TargetID != "T-2" || len(e.Plan) != 1 || e.Plan[0].Action != "update" || e.Target == nil || e.Target.Name != "佐藤 花子" {
		t.Errorf("/explain JSON = %+v", e)
	}

	rec = do(h, "GET", "/explain?job=hr&key=e1003", map[string]string{"Authorization": "Bearer " + token, "Accept": "application/json"})
	var nf struct {
		Error      string   `json:"error"`
		Candidates []string `json:"candidates"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &nf); err != nil || rec.Code != http.StatusNotFound || len(nf.Candidates) == 0 || nf.Candidates[0] != "user 1002 (e1002, 木村 花子)" {
		t.Errorf("/explain of a name nothing has: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/explain?job=hr&key=e1003", auth); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "<li>user 1002 (e1002, 木村 花子)</li>") {
		t.Errorf("/explain HTML of a name nothing has: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/explain?job=hr", auth); rec.Code != http.StatusBadRequest {
		t.Errorf("/explain without a key: %d", rec.Code)
	}
	if rec := do(h, "GET", "/explain?job=nope&key=1002", auth); rec.Code != http.StatusNotFound {
		t.Errorf("/explain of an unknown job: %d", rec.Code)
	}
}
