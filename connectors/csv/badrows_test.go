package csv

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/connectors"
)

// Under bad_rows: skip a malformed row whose key can be read comes as a
// record with only its kind, key and Problem (the mapping leaves it out and
// the runner holds its object); a row whose key cannot be read still fails
// the file, as under fail, where every malformed row does.
func TestBadRows(t *testing.T) {
	good := "社員番号,氏名\ne1,一郎\ne2,二郎\n"
	tests := []struct {
		name    string
		csv     string
		badRows string
		want    []connectors.Record
		wantErr string
	}{
		{name: "fail: a field too many fails the file", csv: good + "e3,三郎,x\n",
			wantErr: "users.csv:4: wrong number of fields: got 3, want 2"},
		{name: "skip: a field too many", csv: good + "e3,三郎,x\n", badRows: "skip",
			want: []connectors.Record{userRec("e1", 2, "一郎"), userRec("e2", 3, "二郎"),
				{Kind: "user", Key: "e3", Origin: "users.csv:4", Problem: "wrong number of fields: got 3, want 2"}}},
		{name: "skip: a field too few", csv: "社員番号,氏名,所属\ne1,一郎,営業\ne2,二郎\n", badRows: "skip",
			want: []connectors.Record{
				{Kind: "user", Key: "e1", Origin: "users.csv:2", Attrs: map[string][]string{"社員番号": {"e1"}, "氏名": {"一郎"}, "所属": {"営業"}}},
				{Kind: "user", Key: "e2", Origin: "users.csv:3", Problem: "wrong number of fields: got 2, want 3"}}},
		{name: "skip: a duplicate key holds both rows", csv: good + "e2,次郎\n", badRows: "skip",
			want: []connectors.Record{userRec("e1", 2, "一郎"), userRec("e2", 3, "二郎"),
				{Kind: "user", Key: "e2", Origin: "users.csv:4", Problem: `duplicate key "e2" (first on line 3)`}}},
		{name: "skip: invalid bytes outside the key", csv: good + "e3,\xff\xfe\n", badRows: "skip",
			want: []connectors.Record{userRec("e1", 2, "一郎"), userRec("e2", 3, "二郎"),
				{Kind: "user", Key: "e3", Origin: "users.csv:4", Problem: `column "氏名": invalid UTF-8 (source.csv.encoding is utf-8)`}}},
		{name: "skip: an empty key still fails the file", csv: good + ",三郎\n", badRows: "skip",
			wantErr: `users.csv:4: empty key column "社員番号"`},
		{name: "skip: a row whose key is past its end fails the file", csv: "氏名,社員番号\n一郎,e1\n二郎\n", badRows: "skip",
			wantErr: "users.csv:3: wrong number of fields: got 1, want 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(tt.csv), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := Config{Encoding: "utf-8", BadRows: tt.badRows, Users: usersFile("users.csv")}
			got, err := read(t, cfg, dir)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("records from a failed file: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func userRec(key string, line int, name string) connectors.Record {
	return connectors.Record{Kind: "user", Key: key, Origin: "users.csv:" + strconv.Itoa(line),
		Attrs: map[string][]string{"社員番号": {key}, "氏名": {name}}}
}
