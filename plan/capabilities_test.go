package plan_test

import (
	"errors"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/plan"
)

// Every user's attributes are checked against the target's fields, not the
// first user's only, and each unknown name is reported once.
func TestCheckCapabilitiesUserAttributes(t *testing.T) {
	caps := change.Capabilities{Users: true, CreatesUsers: true, UserAttributes: []string{"department", "position"}}
	tests := []struct {
		name  string
		users []mapping.User
		want  string // the error, "" for none
	}{
		{"all known", []mapping.User{
			{Key: "1", Attributes: map[string]string{"department": "営業部"}},
			{Key: "2", Attributes: map[string]string{"position": "課長"}},
		}, ""},
		{"unknown on a later user", []mapping.User{
			{Key: "1", Attributes: map[string]string{"department": "営業部"}},
			{Key: "2", Attributes: map[string]string{"department": "開発部", "licence": "basic"}},
			{Key: "3", Attributes: map[string]string{"licence": "free", "gender": "f"}},
		}, `target lacks a capability the job needs: user attribute "gender" (user "3") is not a field of the target (known: department, position); user attribute "licence" (user "2") is not a field of the target (known: department, position)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plan.CheckCapabilities(&mapping.Snapshot{Users: tt.users}, caps)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckCapabilities: %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want || !errors.Is(err, plan.ErrCapability)):
				t.Errorf("CheckCapabilities:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
