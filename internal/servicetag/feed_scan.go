package servicetag

import "encoding/json"

// topLevel splits a JSON object into its top-level keys and raw values
// without decoding or validating the values, so DetectFeed reads a 2 MB
// document in a fraction of what json.Unmarshal takes. ok is false when
// data is not an object of that shape; the caller then lets json.Unmarshal
// report why. Of a repeated key, the last value wins, as in encoding/json.
func topLevel(data []byte) (map[string][]byte, bool) {
	m, _, ok := scanTop(data)
	return m, ok
}

// scanTop is topLevel also reporting whether a key was repeated.
func scanTop(data []byte) (out map[string][]byte, dup, ok bool) {
	out, ok = scanObject(data, func(string) { dup = true })
	return out, dup, ok
}

// scanObject is topLevel calling onDup for each repeated key.
func scanObject(data []byte, onDup func(string)) (map[string][]byte, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	out := map[string][]byte{}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return out, skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, false
		}
		end, ok := skipString(data, i)
		if !ok {
			return nil, false
		}
		var key string
		if json.Unmarshal(data[i:end], &key) != nil {
			return nil, false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, false
		}
		start := skipSpace(data, i+1)
		end, ok = skipValue(data, start)
		if !ok {
			return nil, false
		}
		if _, seen := out[key]; seen {
			onDup(key)
		}
		out[key] = data[start:end]
		i = skipSpace(data, end)
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return out, skipSpace(data, i+1) == len(data)
		default:
			return nil, false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at data[i]
// (a '"').
func skipString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index just past the value starting at data[i]:
// objects and arrays by bracket depth (strings skipped), anything else up
// to the next delimiter.
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
	default:
		j := i
		for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' && data[j] != '\t' && data[j] != '\r' && data[j] != '\n' {
			j++
		}
		return j, j > i
	}
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			end, ok := skipString(data, i)
			if !ok {
				return 0, false
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}
