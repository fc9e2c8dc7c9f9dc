package cli

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// cell is one named value of a table row; rows keep column order.
type cell struct {
	name  string
	value any
}

type row []cell

// columns builds a transform that picks named values out of each item (one
// item, or every item of a list) in the given order, as az's table
// transformers do. Each spec is "Header=path" where path is a dotted key
// path into the item.
func columns(specs ...string) tableTransform {
	return func(v any) any {
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		rows := make([]row, 0, len(items))
		for _, item := range items {
			r := make(row, 0, len(specs))
			for _, s := range specs {
				name, path, _ := strings.Cut(s, "=")
				r = append(r, cell{name, lookupPath(item, path)})
			}
			rows = append(rows, r)
		}
		return rows
	}
}

// lookupPath follows a dotted key path through nested maps.
func lookupPath(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

var tableSkipKeys = map[string]bool{"id": true, "type": true, "etag": true}

// autoRow is knack's _auto_table_item: the scalar, non-null fields of a
// dict with capitalised names (id, type and etag skipped); a list becomes
// Column1…; anything else is one Result column.
func autoRow(item any) row {
	switch x := item.(type) {
	case map[string]any:
		var r row
		for _, k := range sortedKeys(x) {
			if tableSkipKeys[k] {
				continue
			}
			switch x[k].(type) {
			case nil, []any, map[string]any:
				continue
			}
			r = append(r, cell{capitalize(k), x[k]})
		}
		return r
	case []any:
		r := make(row, len(x))
		for i, e := range x {
			r[i] = cell{fmt.Sprintf("Column%d", i+1), e}
		}
		return r
	}
	return row{{"Result", item}}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// errNoTable is knack's message when a result has no table shape.
const errNoTable = "Table output unavailable. Use the --query option to specify an appropriate query. Use --debug for more info."

// formatTable is knack's format_table: the command's transform (unless a
// query is active) or the automatic table, printed as tabulate's "simple"
// format with numbers left as text.
func formatTable(v any, transform tableTransform, queryActive bool) (string, error) {
	var rows []row
	if transform != nil && !queryActive {
		rows, _ = transform(v).([]row)
	} else {
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		for _, item := range items {
			rows = append(rows, autoRow(item))
		}
	}
	if len(rows) == 0 {
		return "\n", nil
	}
	return tabulate(rows)
}

// tabulate renders rows as python-tabulate's "simple" format with
// headers="keys": null cells dropped first (knack's _auto_table_item keeps
// only non-None values, so a column null in every row disappears), headers
// in first-seen order, each column at least two
// wider than its header, two spaces between columns, trailing blanks cut.
func tabulate(rows []row) (string, error) {
	var headers []string
	index := map[string]int{}
	for _, r := range rows {
		for _, c := range r {
			if c.value == nil {
				continue
			}
			if _, ok := index[c.name]; !ok {
				index[c.name] = len(headers)
				headers = append(headers, c.name)
			}
		}
	}
	if len(headers) == 0 {
		return "", &cliError{code: 1, msg: errNoTable}
	}
	cells := make([][]string, len(rows))
	width := make([]int, len(headers))
	for i, h := range headers {
		width[i] = utf8.RuneCountInString(h) + 2
	}
	for i, r := range rows {
		cells[i] = make([]string, len(headers))
		for _, c := range r {
			if c.value == nil {
				continue
			}
			s := pyStr(c.value)
			j := index[c.name]
			cells[i][j] = s
			width[j] = max(width[j], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	line := func(vals []string) {
		var l strings.Builder
		for i, s := range vals {
			if i > 0 {
				l.WriteString("  ")
			}
			l.WriteString(s)
			l.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(s)))
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(headers)
	dashes := make([]string, len(headers))
	for i, w := range width {
		dashes[i] = strings.Repeat("-", w)
	}
	line(dashes)
	for _, c := range cells {
		line(c)
	}
	return b.String(), nil
}
