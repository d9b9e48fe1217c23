package connectors_test

import (
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
)

func TestFieldErrorNamesEveryField(t *testing.T) {
	tests := []struct {
		err  connectors.FieldError
		want string
	}{
		{connectors.FieldError{Message: "bad"}, "bad"},
		{connectors.FieldError{Message: "adminUserIds.1には、usr_で始まる値を指定してください。",
			Fields: map[string][]string{"adminUserIds.1": {"adminUserIds.1には、usr_で始まる値を指定してください。"}}},
			"adminUserIds.1: adminUserIds.1には、usr_で始まる値を指定してください。"},
		{connectors.FieldError{Message: "Name is required", Fields: map[string][]string{"name": {"too long"}, "code": {"taken"}}},
			"Name is required; code: taken; name: too long"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
