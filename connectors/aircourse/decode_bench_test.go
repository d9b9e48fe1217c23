package aircourse

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// usersPage is a page of n users as the emulator writes GET /users: every
// field present, optional strings null, the org lists filled.
func usersPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"usr_%016d","name":"社員 %d","userNumber":"%d","mail":"user%d@example.co.jp","loginId":"e%d",`+
			`"slackMemberId":null,"status":1,"isSuspended":false,"isAccountLocked":false,"notification":[],"license":"basic",`+
			`"hasAiKnowledgeLicense":0,"role":"user","memberOrganizationIds":["org_YQqzA5lsfZaQgdnE"],"adminOrganizationIds":[],`+
			`"department":"本社/営業部","position":null,"gender":null,"birthday":null,"profile":null,"isEnabledPasswordLogin":false,`+
			`"createdAt":"2026-12-07T10:18:46.626832Z","updatedAt":"2026-12-07T10:18:46.626832Z"}`, i, i, i, i, i)
	}
	fmt.Fprintf(&b, `],"meta":{"currentPage":1,"lastPage":100,"perPage":%d,"total":100000}}`, n)
	return []byte(b.String())
}

// BenchmarkDecodeUsersPage decodes a 1000-user page by User's lenient
// UnmarshalJSON under encoding/json (as list did), the way list does
// (one-pass: httpkit.Unmarshal of a listPage, validated once), beside encoding/json's own decode of the
// same page into a plain struct of the document's types, the floor a
// lenient decode is measured against.
func BenchmarkDecodeUsersPage(b *testing.B) {
	page := usersPage(1000)
	b.Run("lenient", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			var out struct {
				Data []User `json:"data"`
				Meta *Meta  `json:"meta"`
			}
			if err := json.Unmarshal(page, &out); err != nil || len(out.Data) != 1000 || out.Data[999].LoginID != "e999" {
				b.Fatalf("decode: %v, %d users", err, len(out.Data))
			}
		}
	})
	b.Run("one-pass", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			var out listPage[User]
			if err := httpkit.Unmarshal(page, &out); err != nil || len(out.Data) != 1000 || out.Data[999].LoginID != "e999" {
				b.Fatalf("decode: %v, %d users", err, len(out.Data))
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		type plainUser struct {
			ID, Name, UserNumber, Mail, LoginID, SlackMemberID string
			Status                                             int
			IsSuspended, IsAccountLocked                       bool
			Notification                                       []string
			License                                            string
			HasAiKnowledgeLicense                              int
			Role                                               string
			MemberOrganizationIDs                              []string `json:"memberOrganizationIds"`
			AdminOrganizationIDs                               []string `json:"adminOrganizationIds"`
			Department, Position                               *string
			Gender                                             *int
			Birthday, Profile                                  *string
			IsEnabledPasswordLogin                             bool
			CreatedAt, UpdatedAt                               string
		}
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			var out struct {
				Data []plainUser `json:"data"`
				Meta *Meta       `json:"meta"`
			}
			if err := json.Unmarshal(page, &out); err != nil || len(out.Data) != 1000 || out.Data[999].LoginID != "e999" {
				b.Fatalf("decode: %v, %d users", err, len(out.Data))
			}
		}
	})
}
