package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// colours of the contenders' bars, in contenderNames order.
var colours = []string{"#2b6cb0", "#a0aec0", "#38a169"}

// plot geometry, in SVG user units.
const (
	plotW, plotH       = 1200.0, 470.0
	marginL, marginR   = 56.0, 16.0
	marginT, marginB   = 64.0, 110.0
	barW, barGap       = 28.0, 3.0
	maxRatioShown      = 4.0
	minRatioAxisHeight = 1.5
)

// writeSVG draws grouped bars, one group per plotted metric, each
// contender's value divided by HAProxy's (HAProxy = 1.0).
func writeSVG(w io.Writer, sums map[string]summary, title string) {
	var ms []metric
	for _, m := range metrics {
		if m.plot {
			ms = append(ms, m)
		}
	}
	ratios := make([][]float64, len(ms)) // [metric][contender]
	top := minRatioAxisHeight
	for i, m := range ms {
		base := m.value(sums[nameHAProxy])
		for _, n := range contenderNames {
			r := 0.0
			if base > 0 {
				r = m.value(sums[n]) / base
			}
			ratios[i] = append(ratios[i], r)
			top = max(top, math.Min(r, maxRatioShown))
		}
	}
	top = math.Ceil(top*2) / 2
	innerW, innerH := plotW-marginL-marginR, plotH-marginT-marginB
	y := func(r float64) float64 { return marginT + innerH - math.Min(r, top)/top*innerH }

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		plotW, plotH, plotW, plotH)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="%.0f" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, html.EscapeString(title))
	for i, n := range contenderNames { // legend
		x := marginL + float64(i)*120
		fmt.Fprintf(w, `<rect x="%.0f" y="34" width="14" height="14" fill="%s"/><text x="%.0f" y="46">%s</text>`+"\n", x, colours[i], x+20, n)
	}
	for t := 0.0; t <= top+1e-9; t += 0.5 { // grid and axis labels
		fmt.Fprintf(w, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e2e8f0"/>`, marginL, plotW-marginR, y(t), y(t))
		fmt.Fprintf(w, `<text x="%.0f" y="%.1f" text-anchor="end">%.1f×</text>`+"\n", marginL-6, y(t)+4, t)
	}
	fmt.Fprintf(w, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#2d3748" stroke-dasharray="6 4"/>`+"\n",
		marginL, plotW-marginR, y(1), y(1))
	groupW := innerW / float64(len(ms))
	for i, m := range ms {
		gx := marginL + float64(i)*groupW + (groupW-3*barW-2*barGap)/2
		for j, r := range ratios[i] {
			x := gx + float64(j)*(barW+barGap)
			fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.0f" height="%.1f" fill="%s"><title>%s %s: %s %s</title></rect>`+"\n",
				x, y(r), barW, y(0)-y(r), colours[j], contenderNames[j], html.EscapeString(m.label),
				fmt.Sprintf(m.format, m.value(sums[contenderNames[j]])), m.unit)
			label := fmt.Sprintf("%.2f", r)
			if r > top {
				label = fmt.Sprintf("%.1f▲", r)
			}
			fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", x+barW/2, y(r)-3, label)
		}
		cx := marginL + (float64(i)+0.5)*groupW
		better := "lower is better"
		if m.higher {
			better = "higher is better"
		}
		lines := append(wrap(m.label+" ("+m.unit+")", 17), better)
		for k, l := range lines {
			fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11">%s</text>`+"\n",
				cx, y(0)+16+float64(k)*14, html.EscapeString(l))
		}
	}
	fmt.Fprintf(w, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#2d3748"/>`+"\n", marginL, plotW-marginR, y(0), y(0))
	fmt.Fprintln(w, `</svg>`)
}

// wrap splits s into lines of at most n characters at spaces.
func wrap(s string, n int) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = word
		case len(cur)+1+len(word) <= n:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
