package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// normalizeBody rewrites the shapes identity providers send that the
// library's validation would reject or silently drop, before it sees them:
//   - a member given as a bare id string ("value": "id") becomes {"value": id};
//   - a member's "displayName" becomes "display", the schema's name (Microsoft's
//     collection sends displayName and expects to read it back);
//   - Entra sends the enterprise manager as a bare id string; it becomes
//     {"value": id}.
//
// It applies to resource bodies (POST, PUT) and to PATCH operations.
func normalizeBody(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the body must be a JSON object")
	}
	normalizeResource(obj)
	if ops, ok := obj[keyOf(obj, "Operations")].([]any); ok {
		for _, op := range ops {
			if o, ok := op.(map[string]any); ok {
				normalizeOperation(o)
			}
		}
	}
	return json.Marshal(obj)
}

// keyOf returns the key of m equal to name case-insensitively, or name.
func keyOf(m map[string]any, name string) string {
	k, _ := lowerKey(m, name)
	return k
}

func normalizeResource(obj map[string]any) {
	if k, ok := lowerKey(obj, "members"); ok {
		obj[k] = normalizeMemberValues(obj[k])
	}
	if k, ok := lowerKey(obj, EnterpriseURN); ok {
		if ext, ok := obj[k].(map[string]any); ok {
			if mk, ok := lowerKey(ext, "manager"); ok {
				ext[mk] = normalizeManager(ext[mk])
			}
		}
	}
}

func normalizeOperation(op map[string]any) {
	vk := keyOf(op, "value")
	value, has := op[vk]
	if !has {
		return
	}
	path, _ := op[keyOf(op, "path")].(string)
	lower := strings.ToLower(strings.TrimSpace(path))
	switch {
	case path == "":
		if obj, ok := value.(map[string]any); ok {
			normalizeResource(obj)
			for k, v := range obj {
				if strings.HasSuffix(strings.ToLower(k), ":manager") {
					obj[k] = normalizeManager(v)
				}
			}
		}
	case lower == "members":
		op[vk] = normalizeMemberValues(value)
	case lower == "manager" || strings.HasSuffix(lower, ":manager"):
		op[vk] = normalizeManager(value)
	}
}

// normalizeMemberValues turns a member or a list of members into a list of
// member objects.
func normalizeMemberValues(v any) any {
	list, ok := v.([]any)
	if !ok {
		if v == nil {
			return v
		}
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	for _, m := range list {
		switch t := m.(type) {
		case string:
			out = append(out, map[string]any{"value": t})
		case map[string]any:
			if dk, ok := lowerKey(t, "displayName"); ok {
				if _, has := lowerKey(t, "display"); !has {
					t["display"] = t[dk]
				}
				delete(t, dk)
			}
			out = append(out, t)
		default:
			out = append(out, m)
		}
	}
	return out
}

func normalizeManager(v any) any {
	if s, ok := v.(string); ok {
		return map[string]any{"value": s}
	}
	return v
}
