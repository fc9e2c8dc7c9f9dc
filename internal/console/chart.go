package console

import (
	"fmt"
	"html/template"
	"strings"
)

// Chart geometry (SVG user units; the SVG scales to its container).
const (
	chartW, chartH         = 640, 180
	chartLeft, chartBottom = 44, 26
	chartTop, chartRight   = 10, 8
)

// refusalChart draws refusals per minute as an inline SVG bar chart. Only
// numbers and times are written into it, so it is safe to embed as HTML.
func refusalChart(ms []Minute) template.HTML {
	total, peak, peakAt := 0, 0, -1
	for i, m := range ms {
		total += m.Refused
		if m.Refused > peak {
			peak, peakAt = m.Refused, i
		}
	}
	top := niceCeil(peak)
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	var b strings.Builder
	desc := fmt.Sprintf("%d refused connections in the last hour.", total)
	if peakAt >= 0 {
		desc += fmt.Sprintf(" Peak: %d in the minute from %s UTC.", peak, ms[peakAt].Start.Format("15:04"))
	}
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc">`, chartW, chartH)
	fmt.Fprintf(&b, `<title id="chart-title">Refused connections per minute, last hour</title><desc id="chart-desc">%s</desc>`,
		template.HTMLEscapeString(desc))
	for _, frac := range []float64{0, 0.5, 1} {
		if frac == 0.5 && top%2 != 0 {
			continue // no half line for a scale of 1
		}
		y := float64(chartTop) + plotH*(1-frac)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, y, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>`, chartLeft-6, y+4, int(float64(top)*frac))
	}
	n := max(len(ms), 1)
	slot := plotW / float64(n)
	for i, m := range ms {
		if m.Refused == 0 {
			continue
		}
		h := plotH * float64(m.Refused) / float64(top)
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s UTC: %d refused, %d admitted</title></rect>`,
			float64(chartLeft)+float64(i)*slot+1, float64(chartTop)+plotH-h, max(slot-2, 1), h,
			m.Start.Format("15:04"), m.Refused, m.Admitted)
	}
	for i := 0; i < len(ms); i += 15 {
		x := float64(chartLeft) + float64(i)*slot
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d">%s</text>`, x, chartH-8, ms[i].Start.Format("15:04"))
	}
	if len(ms) > 0 {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">now</text>`, chartW-chartRight, chartH-8)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // only numbers, times and escaped text
}

// niceCeil rounds n up to 1, 2 or 5 × 10^k (at least 1).
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}
