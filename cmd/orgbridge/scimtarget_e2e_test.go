package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// The scim target end to end: `orgbridge sync -c configs/scim-target.yaml`
// provisions the demo export into the SCIM endpoint of `orgbridge serve`
// (configs/scim.yaml, which relays to an AirCourse emulator); a rename, a
// move and a leaver follow on the second export; a third run plans nothing.
func TestEndToEndSCIMTarget(t *testing.T) {
	_, srv, work := scimSetup(t)
	d := startServe(t, scimConfig(t, work, srv.URL, "200ms"))
	defer d.stop()
	c := scimTargetConfig(t, d.base)
	cfg := filepath.Join(c.dir, "scim-target.yaml")
	if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}

	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK {
		t.Fatalf("sync 1: exit %d\n%s\n%s", code, out, errs)
	}
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
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
