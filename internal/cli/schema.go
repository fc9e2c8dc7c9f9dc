package cli

import "strings"

// schema describes how az prints one SDK model: which keys it always
// shows (null when unset), which REST key it flattens into the top level,
// and the models of nested fields. Keys not listed pass through, renamed by
// the renames table given to apply.
type schema struct {
	fields   []string           // az keys always printed; null when absent
	flatten  string             // REST key whose object's keys move up ("properties")
	children map[string]*schema // az key → model of the object, or of each list item
	mapOf    map[string]*schema // az key → model of each value of a dict (keys kept)
	raw      map[string]bool    // az key → a free-form dict, copied unchanged
}

// apply converts a decoded REST object into az's printed form. Other
// shapes are returned unchanged.
func (s *schema) apply(v any) any { return s.applyWith(v, nil) }

// applyList applies s to each item.
func (s *schema) applyList(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = s.apply(v)
	}
	return out
}

func (s *schema) applyWith(v any, renames map[string]string) any {
	if s == nil {
		return v
	}
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = s.applyWith(e, renames)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x)+len(s.fields))
		for k, val := range x {
			if k == s.flatten && s.flatten != "" {
				if inner, ok := val.(map[string]any); ok {
					for ik, iv := range inner {
						s.put(out, ik, iv, renames)
					}
					continue
				}
			}
			s.put(out, k, val, renames)
		}
		for _, f := range s.fields {
			if _, ok := out[f]; !ok {
				out[f] = nil
			}
		}
		return out
	}
	return v
}

func (s *schema) put(out map[string]any, k string, val any, renames map[string]string) {
	az := k
	if r, ok := renames[k]; ok {
		az = r
	}
	switch {
	case s.raw[az]:
		out[az] = val
	case s.mapOf[az] != nil:
		if m, ok := val.(map[string]any); ok {
			mm := make(map[string]any, len(m))
			for mk, mv := range m {
				mm[mk] = s.mapOf[az].applyWith(mv, renames)
			}
			val = mm
		}
		out[az] = val
	case s.children[az] != nil:
		out[az] = s.children[az].applyWith(val, renames)
	default:
		out[az] = renameAll(val, renames)
	}
}

// renameAll renames keys at every level of an object with no schema.
func renameAll(v any, renames map[string]string) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = renameAll(e, renames)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if r, ok := renames[k]; ok {
				k = r
			}
			out[k] = renameAll(e, renames)
		}
		return out
	}
	return v
}

// resourceGroupOf extracts the resource group from an ARM id, as az does
// when it adds "resourceGroup" to a resource.
func resourceGroupOf(id string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") {
			return parts[i+1]
		}
	}
	return ""
}
