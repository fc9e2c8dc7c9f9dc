package rangespec

import (
	"fmt"
	"sort"
	"strings"
)

// maxSuggestions is how many known names an unknown-tag message offers.
const maxSuggestions = 3

// didYouMean returns `; did you mean "A", "B" or "C"?` naming the known tags
// closest to name (Levenshtein distance, case-insensitive), or "" when none
// is close: within a third of the name's length, and at least 2.
func didYouMean(name string, known []string) string {
	s := suggest(name, known)
	if len(s) == 0 {
		return ""
	}
	q := make([]string, len(s))
	for i, n := range s {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "; did you mean " + q[0] + "?"
	}
	return "; did you mean " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1] + "?"
}

// suggest returns up to maxSuggestions known names closest to name, nearest
// first, ties by name.
func suggest(name string, known []string) []string {
	type cand struct {
		name string
		d    int
	}
	lname := []rune(strings.ToLower(name))
	limit := max(2, len(lname)/3)
	var cands []cand
	var row []int
	for _, k := range known {
		lk := []rune(strings.ToLower(k))
		if abs(len(lk)-len(lname)) > limit {
			continue
		}
		var d int
		d, row = levenshtein(lname, lk, row)
		if d <= limit {
			cands = append(cands, cand{k, d})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name < cands[j].name
	})
	var out []string
	for _, c := range cands {
		if len(out) == maxSuggestions {
			break
		}
		if len(out) == 0 || !strings.EqualFold(out[len(out)-1], c.name) {
			out = append(out, c.name)
		}
	}
	return out
}

// levenshtein is the edit distance between a and b (insert, delete,
// substitute, each 1). row is scratch space, returned for reuse.
func levenshtein(a, b []rune, row []int) (int, []int) {
	if cap(row) < len(b)+1 {
		row = make([]int, len(b)+1)
	}
	row = row[:len(b)+1]
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)], row
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
