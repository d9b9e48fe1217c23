package csv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
)

// The local check reads only the header and names, once, each column a
// template reads that the header lacks, with the template's key and the
// header's line; a file that cannot be opened is one line naming its path.
func TestCheckLocal(t *testing.T) {
	dir := t.TempDir()
	// The rows are never read: a plan would fail on each of them.
	users := "社員番号,氏名,メール\n1001,山田,a@example.jp\n1002,佐藤,b@example.jp\n"
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Users: &File{Path: "users.csv", KeyColumn: "社員番号"}, Orgs: &File{Path: "orgs.csv", KeyColumn: "code"}}
	m := config.Mapping{Users: config.UserMapping{
		LoginID:    "e{{.社員番号}}",
		Email:      `{{.メールアドレス | lower}}`,
		Name:       "{{.氏名}}",
		Attributes: map[string]string{"dept": `{{.所属 | default "-"}}`, "mail2": "{{.メールアドレス}}"},
	}}
	got := cfg.CheckLocal(context.Background(), connectors.CheckEnv{Env: connectors.Env{BaseDir: dir}, Mapping: m})
	var lines []string
	for _, r := range got {
		s := r.Check + " [" + r.Key + "]"
		if r.Err != nil {
			s += ": " + r.Err.Error()
		}
		lines = append(lines, s)
	}
	want := []string{
		"read the header of users.csv [source.csv.users]",
		`columns users.attributes.dept reads [mapping.users.attributes.dept]: users.csv:1: the template reads column "所属", which the header does not have (header: "社員番号", "氏名", "メール")`,
		`columns users.attributes.mail2 reads [mapping.users.attributes.mail2]: users.csv:1: the template reads column "メールアドレス", which the header does not have (header: "社員番号", "氏名", "メール")`,
		`columns users.email reads [mapping.users.email]: users.csv:1: the template reads column "メールアドレス", which the header does not have (header: "社員番号", "氏名", "メール")`,
		"read the header of orgs.csv [source.csv.orgs.path]: source.csv.orgs.path: open " + filepath.Join(dir, "orgs.csv") + ": no such file or directory",
	}
	if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("results:\n%s\nwant:\n%s", g, w)
	}
}
