package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jmespath/go-jmespath"
	yaml "go.yaml.in/yaml/v3"
)

// Output formats accepted by -o/--output, as knack names them.
var outputFormats = []string{"json", "jsonc", "table", "tsv", "yaml", "yamlc", "none"}

// tableTransform turns a command's result into table rows, as az's
// table_transformer does. nil means knack's automatic table.
type tableTransform func(any) any

// printResult renders v in format after applying query (JMESPath, "" for
// none). A nil result, also one a query produced, prints nothing, as knack
// prints nothing for None.
func printResult(w io.Writer, v any, format, query string, table tableTransform) error {
	if query != "" {
		r, err := jmespath.Search(query, v)
		if err != nil {
			return &cliError{code: 2, msg: fmt.Sprintf("argument --query: invalid jmespath_type value: %q", query)}
		}
		v = r
		table = nil
	}
	if v == nil {
		return nil
	}
	switch format {
	case "json", "":
		return writePyJSON(w, v)
	case "jsonc":
		var b bytes.Buffer
		encodePy(&b, v, 0)
		b.WriteByte('\n')
		_, err := io.WriteString(w, colorJSON(b.String()))
		return err
	case "yaml", "yamlc":
		return writeYAML(w, v)
	case "tsv":
		_, err := io.WriteString(w, formatTSV(v))
		return err
	case "table":
		s, err := formatTable(v, table, query != "")
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, s)
		return err
	case "none":
		return nil
	}
	return &cliError{code: 2, msg: fmt.Sprintf("argument --output/-o: invalid choice: '%s' (choose from '%s')", format, strings.Join(outputFormats, "', '"))}
}

// formatTSV is knack's _TsvOutput: one line per item of a list result; a
// dict's values in key order, lists as their length, nested dicts empty,
// None as "None" and booleans inside rows in Python's spelling.
func formatTSV(v any) string {
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	var b strings.Builder
	for _, item := range items {
		switch x := item.(type) {
		case map[string]any:
			for i, k := range sortedKeys(x) {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(tsvObj(x[k]))
			}
		case []any:
			for i, e := range x {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(tsvObj(e))
			}
		case bool:
			b.WriteString(strconv.FormatBool(x))
		default:
			b.WriteString(tsvObj(x))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func tsvObj(v any) string {
	switch x := v.(type) {
	case []any:
		return strconv.Itoa(len(x))
	case map[string]any:
		return ""
	}
	return pyStr(v)
}

// pyStr is Python's str() of a JSON value.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return pyFloat(x)
	}
	var b bytes.Buffer
	encodePy(&b, v, 0)
	return b.String()
}

// writeYAML is knack's yaml.safe_dump(default_flow_style=False,
// allow_unicode=True): block style, keys sorted, sequences not indented
// under their key.
func writeYAML(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(yamlValue(v)); err != nil {
		return fmt.Errorf("format yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("format yaml: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// yamlValue turns json.Number into int64 or float64 so YAML prints numbers.
func yamlValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = yamlValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = yamlValue(e)
		}
		return out
	}
	return v
}

// colorJSON adds ANSI colours to formatted JSON as pygments' terminal
// formatter does (keys blue, strings green... approximately). It is only
// used for -o jsonc.
func colorJSON(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		key, rest, ok := strings.Cut(line, `": `)
		if ok && strings.HasPrefix(strings.TrimSpace(key), `"`) {
			b.WriteString("\x1b[94m" + key + "\"\x1b[39;49;00m: ")
			line = rest
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, `"`) {
			i := strings.Index(line, `"`)
			j := strings.LastIndex(line, `"`)
			b.WriteString(line[:i] + "\x1b[33m" + line[i:j+1] + "\x1b[39;49;00m" + line[j+1:])
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}
