package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With bad_rows: skip, a malformed row of an HR export is left out of the
// run with its file and line, the user it names is held as it is in the
// target (not suspended, not changed), and every other row is applied.
func TestCSVBadRowsSkipHoldsTheRowAndAppliesTheRest(t *testing.T) {
	c, emu := setup(t)
	if code, _, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("first sync: exit %d\n%s", code, errs)
	}
	before := newView(emu.State())
	if _, ok := before.userByLI["e1002"]; !ok {
		t.Fatal("e1002 was not created by the first sync")
	}

	data, err := os.ReadFile(c.config())
	if err != nil {
		t.Fatal(err)
	}
	c.write("demo.yaml", strings.Replace(string(data), "        encoding: auto", "        bad_rows: skip\n        encoding: auto", 1))
	users, err := os.ReadFile(filepath.Join(c.dir, "demo", "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(users), "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "1002,"):
			lines[i] = strings.Replace(l, "佐藤 花子", "佐藤 花子,余分な列", 1) // a field too many
		case strings.HasPrefix(l, "1001,"):
			lines[i] = strings.Replace(l, "山田 太郎", "山田 太朗", 1) // a rename that must land
		}
	}
	c.write("demo/users.csv", strings.Join(lines, "\n"))

	// The run goes on (exit 0, as for a record the mapping leaves out),
	// and says which row it held and why.
	code, _, errs := c.run("sync", "-c", c.config())
	if code != exitOK || !strings.Contains(errs, `"reason":"users.csv:3: wrong number of fields: got 9, want 8"`) {
		t.Errorf("sync with a malformed row: exit %d, want 0 and the row named\n%s", code, errs)
	}
	after := newView(emu.State())
	held, ok := after.userByLI["e1002"]
	if !ok || held.IsSuspended || held.Name != before.userByLI["e1002"].Name {
		t.Errorf("the held user changed: %+v", held)
	}
	if got := after.userByLI["e1001"].Name; got != "山田 太朗" {
		t.Errorf("the rename of another row did not land: %q", got)
	}
	if len(after.userByLI) != len(before.userByLI) {
		t.Errorf("users %d, want %d", len(after.userByLI), len(before.userByLI))
	}
}
