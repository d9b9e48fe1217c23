package emukit

import (
	"slices"
	"strings"
	"testing"
)

var testReadings = Readings{
	{Name: "admins-required", Seed: "003:10", Doc: "an empty list is missing"},
	{Name: "errors-nested", Seed: "001:20", Doc: "errors nest their message", Excludes: []string{"errors-flat"}},
	{Name: "errors-flat", Seed: "001:20", Doc: "errors are a string"},
}

func TestReadingsParse(t *testing.T) {
	tests := []struct {
		in      []string
		want    string
		wantErr string
	}{
		{in: nil, want: "default"},
		{in: []string{"admins-required"}, want: "admins-required"},
		{in: []string{"errors-flat, admins-required"}, want: "admins-required,errors-flat"},
		{in: []string{"nope"}, wantErr: `unknown reading "nope" (known: admins-required, errors-nested, errors-flat)`},
		{in: []string{"errors-nested,errors-flat"}, wantErr: `readings "errors-nested" and "errors-flat" exclude each other`},
	}
	for _, tt := range tests {
		got, err := testReadings.Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Parse(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := (Readings{}).Parse([]string{"x"}); err == nil || !strings.Contains(err.Error(), "only its default reading") {
		t.Errorf("empty catalogue: %v", err)
	}
}

func TestReadingsCombinations(t *testing.T) {
	var got []string
	for _, c := range testReadings.Combinations() {
		got = append(got, strings.Join(c, ","))
	}
	want := []string{"", "admins-required", "errors-nested", "errors-flat", "admins-required,errors-nested", "admins-required,errors-flat"}
	if !slices.Equal(got, want) {
		t.Errorf("Combinations() = %q, want %q", got, want)
	}
	for _, c := range testReadings.Combinations() {
		if _, err := testReadings.Parse(c); err != nil {
			t.Errorf("combination %q does not parse: %v", c, err)
		}
	}
}
