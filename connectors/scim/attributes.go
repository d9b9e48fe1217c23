package scim

import "github.com/orgbridge/orgbridge/mapping"

// enterprise is the schema URI of the enterprise extension, the prefix of
// its attributes' full paths.
const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// userAttributes names the SCIM attribute each flattened user record
// attribute (UserRecord) is read from, as a client writes its path.
var userAttributes = map[string]string{
	"id":                "id",
	"externalId":        "externalId",
	"userName":          "userName",
	"displayName":       "displayName",
	"nickName":          "nickName",
	"title":             "title",
	"userType":          "userType",
	"preferredLanguage": "preferredLanguage",
	"locale":            "locale",
	"timezone":          "timezone",
	"active":            "active",
	"formattedName":     "name.formatted",
	"givenName":         "name.givenName",
	"familyName":        "name.familyName",
	"middleName":        "name.middleName",
	"email":             "emails",
	"emails":            "emails",
	"phone":             "phoneNumbers",
	"employeeNumber":    enterprise + ":employeeNumber",
	"costCenter":        enterprise + ":costCenter",
	"organization":      enterprise + ":organization",
	"division":          enterprise + ":division",
	"department":        enterprise + ":department",
	"manager":           enterprise + ":manager",
	"groups":            "groups",
	"groupNames":        "groups",
}

// Attribute is the SCIM attribute a record attribute of the given kind is
// read from ("givenName" of a user: "name.givenName"; "department": the
// enterprise extension's), or "" when the record attribute comes from no
// attribute a client writes (a user's "deleted").
func Attribute(kind mapping.Kind, name string) string {
	if kind == mapping.KindUser {
		return userAttributes[name]
	}
	switch name {
	case "id", "externalId", "displayName":
		return name
	}
	return ""
}
