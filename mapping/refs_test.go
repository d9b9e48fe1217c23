package mapping_test

import (
	"slices"
	"testing"

	"github.com/orgbridge/orgbridge/mapping"
)

func TestFieldRefs(t *testing.T) {
	for _, tc := range []struct {
		template string
		want     []string
	}{
		{"{{.displayName}}", []string{"displayName"}},
		{"{{.email | lower}}", []string{"email"}},
		{"{{if .displayName}}{{.displayName}}{{else}}{{.familyName}} {{.givenName}}{{end}}", []string{"displayName", "familyName", "givenName"}},
		{`{{.department | default "none"}}`, []string{"department"}},
		{`{{printf "%s-%s" .employeeNumber $.costCenter}}`, []string{"costCenter", "employeeNumber"}},
		{`{{index . "社員番号"}}`, []string{"社員番号"}},
		{`{{with .title}}{{.}}{{end}}`, []string{"title"}},
		{"basic", []string{}},
		{"{{.unclosed", nil},
	} {
		if got := mapping.FieldRefs(tc.template); !slices.Equal(got, tc.want) {
			t.Errorf("mapping.FieldRefs(%q) = %q, want %q", tc.template, got, tc.want)
		}
	}
}
