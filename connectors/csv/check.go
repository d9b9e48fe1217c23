package csv

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/errlist"
	"github.com/orgbridge/orgbridge/mapping"
)

var (
	_ connectors.Checker      = (*Config)(nil)
	_ connectors.LocalChecker = (*Config)(nil)
)

// Check is CheckLocal: a CSV source has nothing to connect to.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	return c.CheckLocal(ctx, env)
}

// CheckLocal reads the header of each file and checks that it has the key
// column, the required columns and every column the job's templates read
// of that file's records (users.* of the users file, orgs.* of the orgs
// file, groups.* of the groups file). A missing column is one result naming
// the template's key, the column and the header's line, where a plan would
// fail on every row. Rows are not read.
func (c *Config) CheckLocal(_ context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	s, err := New(*c, env.BaseDir, env.Logger)
	if err != nil {
		return []connectors.CheckResult{{Check: "csv settings", Err: err}}
	}
	refs := mapping.TemplateRefs(env.Mapping)
	var out []connectors.CheckResult
	for i := range s.files {
		out = append(out, s.checkFile(&s.files[i], refs)...)
	}
	return out
}

// kindPrefix is the mapping block whose templates read a kind's records.
var kindPrefix = map[mapping.Kind]string{mapping.KindUser: "users.", mapping.KindOrg: "orgs.", mapping.KindGroup: "groups."}

func (s *Source) checkFile(f *fileSpec, refs map[string][]string) []connectors.CheckResult {
	what := "read the header of " + f.name
	fileKey := strings.TrimPrefix(f.cfgKey, "source.")
	errs := &errlist.List{Max: maxErrors}
	fr, closeFile := s.openFile(f, errs)
	if fr == nil {
		return []connectors.CheckResult{{Check: what, Key: "source." + fileKey + ".path", Err: errs.Err()}}
	}
	defer closeFile()
	if !fr.readHeader() {
		return []connectors.CheckResult{{Check: what, Key: "source." + fileKey, Err: errs.Err()}}
	}
	have := make(map[string]bool, len(fr.header))
	quoted := make([]string, len(fr.header))
	for i, h := range fr.header {
		have[h] = true
		quoted[i] = strconv.Quote(h)
	}
	out := []connectors.CheckResult{{Check: what, Key: "source." + fileKey,
		Detail: fmt.Sprintf("%d columns, key column %q", len(fr.header), f.keyColumn)}}
	keys := make([]string, 0, len(refs))
	for k := range refs {
		if strings.HasPrefix(k, kindPrefix[f.kind]) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, col := range refs[k] {
			if have[col] {
				continue
			}
			out = append(out, connectors.CheckResult{
				Check: fmt.Sprintf("columns %s reads", k),
				Key:   "mapping." + k,
				Err: &LineError{File: f.name, Line: fr.headerLine, Err: fmt.Errorf("the template reads column %q, which the header does not have (header: %s)",
					col, strings.Join(quoted, ", "))},
			})
		}
	}
	return out
}
