package rangespec

import "strings"

// ParseString parses the CLI form: one string split on ",", each item
// stripped of surrounding white space. "" disables (in every mode; in the
// server and standalone modes a string of only white space does too).
func ParseString(s string, opt Options) (Spec, error) {
	if s == "" || (opt.Mode >= ModeServer && pyStrip(s) == "") {
		return Spec{Disabled: true}, nil
	}
	return parse(strings.Split(s, ","), opt)
}

// ParseList parses the ARM array form. An empty (or nil) list disables.
// Items are stripped of surrounding white space. In the CLI modes the list
// is checked as if it were the string's items.
func ParseList(items []string, opt Options) (Spec, error) {
	if len(items) == 0 {
		return Spec{Disabled: true}, nil
	}
	return parse(items, opt)
}

func parse(raw []string, opt Options) (Spec, error) {
	items := make([]string, len(raw))
	for i, s := range raw {
		items[i] = pyStrip(s)
	}
	switch opt.Mode {
	case ModeCLI, ModePreviewCLI:
		return parseCLI(items, opt)
	case ModeServer, ModeStandalone:
		return parseServer(items, opt)
	}
	var p problems
	p.add(-1, "", ErrInvalidRange, "parse authorized IP ranges: unknown mode %d", int(opt.Mode))
	return Spec{}, p.err()
}
