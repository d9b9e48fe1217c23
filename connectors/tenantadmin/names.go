package tenantadmin

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"regexp"

	"github.com/orgbridge/orgbridge/mapping"
)

// Metadata keys orgbridge writes on the organizations it creates.
const (
	// MetadataKey holds the org's source key, for people reading the tenant.
	MetadataKey = "orgbridge_key"
	// MetadataCode holds the org's canonical code, which name cannot hold
	// when it is not of [A-Za-z0-9_-].
	MetadataCode = "code"
)

var (
	// nameRE is the document's rule for name: 英数字、ハイフン、アンダースコア.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	slugRE = regexp.MustCompile(`^org-[0-9a-f]{10}$`)
)

// OrgName is the API name of an org: its code when the code fits the
// document's charset, else a stable slug of its source key ("org-" and ten
// hex digits of its SHA-256), which survives renames.
func OrgName(o mapping.Org) string {
	if nameRE.MatchString(o.Code) {
		return o.Code
	}
	sum := sha256.Sum256([]byte(o.Key))
	return "org-" + hex.EncodeToString(sum[:5])
}

// IsSlug reports whether name has the shape OrgName gives an org whose
// code does not fit (or that has none).
func IsSlug(name string) bool { return slugRE.MatchString(name) }

// orgCode is the code Read reports: metadata's code when the org carries
// one, else the name unless it is a slug (which says nothing).
func orgCode(o Org) string {
	if c, ok := o.Metadata[MetadataCode].(string); ok && c != "" {
		return c
	}
	if IsSlug(o.Name) {
		return ""
	}
	return o.Name
}

// withOrgMetadata returns current (not modified) with orgbridge's keys set
// for o: its source key, and its code (removed when it has none).
func withOrgMetadata(current map[string]any, o mapping.Org) map[string]any {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	out[MetadataKey] = o.Key
	if o.Code != "" {
		out[MetadataCode] = o.Code
	} else {
		delete(out, MetadataCode)
	}
	return out
}
