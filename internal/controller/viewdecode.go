package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errShape sends decodeView to the slow path: the record is not the
// compact object json.Marshal writes.
var errShape = errors.New("unexpected record shape")

// decodeView fills v from a cluster record, decoding only the members v
// has and skipping the others without validating them: records are
// written by json.Marshal (the api package and writeCluster), and the
// skipped members (agent pools, network profile, tags, extra properties)
// are most of a record. Anything other than a flat object of members
// without escaped names falls back to json.Unmarshal, which then
// validates the whole record.
func decodeView(b []byte, v *clusterView) error {
	if err := decodeViewFast(b, v); err != nil {
		*v = clusterView{}
		return json.Unmarshal(b, v)
	}
	return nil
}

func decodeViewFast(b []byte, v *clusterView) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errShape
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return errShape
		}
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 {
			return errShape
		}
		name := b[i+1 : i+1+end]
		if bytes.IndexByte(name, '\\') >= 0 {
			return errShape
		}
		i = skipSpace(b, i+2+end)
		if i >= len(b) || b[i] != ':' {
			return errShape
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := v.member(string(name), b[i:vend]); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return errShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errShape
		}
	}
	return errShape
}

// member decodes one member's value into v when v has it.
func (v *clusterView) member(name string, val []byte) error {
	switch name {
	case "subscription":
		return decodeString(val, &v.Subscription)
	case "resourceGroup":
		return decodeString(val, &v.ResourceGroup)
	case "name":
		return decodeString(val, &v.Name)
	case "fqdn":
		return decodeString(val, &v.FQDN)
	case "provisioningState":
		return decodeString(val, &v.ProvisioningState)
	case "powerState":
		return decodeString(val, &v.PowerState)
	case "kubernetesVersion":
		return decodeString(val, &v.KubernetesVersion)
	case "generation":
		return decodeInt(val, &v.Generation)
	case "appliedGeneration":
		return decodeInt(val, &v.AppliedGeneration)
	case "access":
		return json.Unmarshal(val, &v.Access)
	case "status":
		return json.Unmarshal(val, &v.Status)
	case "grants":
		return json.Unmarshal(val, &v.Grants)
	case "shadowRanges":
		return json.Unmarshal(val, &v.ShadowRanges)
	}
	for _, n := range viewMembers { // encoding/json matches names case-insensitively
		if strings.EqualFold(name, n) {
			return errShape
		}
	}
	return nil
}

// viewMembers are the JSON names of clusterView's fields, read from its
// struct tags (the one list of them): a member that matches one of them
// other than exactly, or one that member's switch does not decode, sends
// decodeView to encoding/json.
var viewMembers = func() []string {
	t := reflect.TypeFor[clusterView]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return names
}()

// decodeString decodes a JSON string; one with escapes goes through
// encoding/json.
func decodeString(val []byte, s *string) error {
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' && bytes.IndexByte(val, '\\') < 0 && utf8.Valid(val) {
		*s = string(val[1 : len(val)-1])
		return nil
	}
	return json.Unmarshal(val, s)
}

func decodeInt(val []byte, n *int64) error {
	x, err := strconv.ParseInt(string(val), 10, 64)
	if err != nil {
		return json.Unmarshal(val, n)
	}
	*n = x
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value that starts at b[i],
// matching brackets and strings without validating the rest.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errShape
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errShape
	default: // number, true, false, null
		start := i
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
			i++
		}
		if i == start {
			return 0, errShape
		}
		return i, nil
	}
}

// skipString returns the end of the string that starts at b[i] (a quote).
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errShape
}
