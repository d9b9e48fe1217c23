package scim

import (
	"slices"

	libscim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Resource type names, as stored and as in meta.resourceType.
const (
	TypeUser  = "User"
	TypeGroup = "Group"
)

// EnterpriseURN is the enterprise User extension's schema id.
const EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// commonAttributes are id, externalId and meta, added to each resource
// schema so that the library's filter validation accepts filters on them
// (Entra looks users up with `externalId eq "…"`). id is not required here
// (the library's own definition is, which would reject every POST); id and
// meta are read-only (ignored on input), and the library validates
// externalId itself, so validation does not change.
func commonAttributes() []schema.CoreAttribute {
	return []schema.CoreAttribute{
		schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			CaseExact:  true,
			Mutability: schema.AttributeMutabilityReadOnly(),
			Name:       "id",
			Returned:   schema.AttributeReturnedAlways(),
			Uniqueness: schema.AttributeUniquenessServer(),
		})),
		schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			CaseExact:  true,
			Mutability: schema.AttributeMutabilityReadWrite(),
			Name:       "externalId",
		})),
		schema.ComplexCoreAttribute(schema.ComplexParams{
			Mutability: schema.AttributeMutabilityReadOnly(),
			Name:       "meta",
			SubAttributes: []schema.SimpleParams{
				schema.SimpleStringParams(schema.StringParams{CaseExact: true, Mutability: schema.AttributeMutabilityReadOnly(), Name: "resourceType"}),
				schema.SimpleDateTimeParams(schema.DateTimeParams{Mutability: schema.AttributeMutabilityReadOnly(), Name: "created"}),
				schema.SimpleDateTimeParams(schema.DateTimeParams{Mutability: schema.AttributeMutabilityReadOnly(), Name: "lastModified"}),
				// A reference names what it may refer to (RFC 7643 §2.3.7):
				// the resource's own URL, a "uri".
				schema.SimpleReferenceParams(schema.ReferenceParams{Mutability: schema.AttributeMutabilityReadOnly(), Name: "location",
					ReferenceTypes: []schema.AttributeReferenceType{schema.AttributeReferenceTypeURI}}),
				schema.SimpleStringParams(schema.StringParams{CaseExact: true, Mutability: schema.AttributeMutabilityReadOnly(), Name: "version"}),
			},
		}),
	}
}

// withCommon adds the common attributes. The list is clipped to its length:
// the library appends externalId to it on every validation
// (ResourceType.schemaWithCommon), and with room to spare those appends,
// from concurrent requests, would write one shared array (a data race).
func withCommon(s schema.Schema) schema.Schema {
	s.Attributes = slices.Clip(append(s.Attributes, commonAttributes()...))
	return s
}

// userSchema, groupSchema and enterpriseSchema are the schemas served.
func userSchema() schema.Schema       { return withCommon(schema.CoreUserSchema()) }
func groupSchema() schema.Schema      { return withCommon(schema.CoreGroupSchema()) }
func enterpriseSchema() schema.Schema { return schema.ExtensionEnterpriseUser() }

func resourceTypes(users, groups libscim.ResourceHandler) []libscim.ResourceType {
	return []libscim.ResourceType{
		{
			ID:               optional.NewString(TypeUser),
			Name:             TypeUser,
			Description:      optional.NewString("User Account"),
			Endpoint:         "/Users",
			Schema:           userSchema(),
			SchemaExtensions: []libscim.SchemaExtension{{Schema: enterpriseSchema()}},
			Handler:          users,
		},
		{
			ID:          optional.NewString(TypeGroup),
			Name:        TypeGroup,
			Description: optional.NewString("Group"),
			Endpoint:    "/Groups",
			Schema:      groupSchema(),
			Handler:     groups,
		},
	}
}
