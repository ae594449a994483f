package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// Chart geometry, in SVG user units (pixels at 100%).
const (
	chartWidth   = 900
	chartHeight  = 200
	marginLeft   = 64
	marginRight  = 12
	marginTop    = 14
	marginBottom = 26
	plotWidth    = chartWidth - marginLeft - marginRight
	plotHeight   = chartHeight - marginTop - marginBottom
)

// svgWriter builds one SVG document. Every attribute value and text it
// writes goes through esc (html/template's escaper), so a rule name or an
// action label cannot close an element; numbers are formatted here.
type svgWriter struct {
	b strings.Builder
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// num formats a coordinate with one decimal, without a trailing ".0".
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

// open writes a start tag with attributes given as name, value pairs.
func (w *svgWriter) open(tag string, attrs ...string) {
	w.b.WriteString("<" + tag)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="` + esc(attrs[i+1]) + `"`)
	}
	w.b.WriteString(">")
}

func (w *svgWriter) close(tag string) { w.b.WriteString("</" + tag + ">") }

// elem writes an element with no children.
func (w *svgWriter) elem(tag string, attrs ...string) {
	w.open(tag, attrs...)
	w.close(tag)
}

// text writes an element holding escaped text.
func (w *svgWriter) text(tag, s string, attrs ...string) {
	w.open(tag, attrs...)
	w.b.WriteString(esc(s))
	w.close(tag)
}

// titled writes an element with a tooltip (an SVG <title> child).
func (w *svgWriter) titled(tag, title string, attrs ...string) {
	w.open(tag, attrs...)
	w.text("title", title)
	w.close(tag)
}

// chart is what one rule's chart draws.
type chart struct {
	rule       string
	series     *Series
	start, end time.Time
	width      time.Duration // bucket width
	alerts     []alert.Alert
	actions    []ActionMark
	baseline   bool
}

// x maps a time to a horizontal position in the plot.
func (c *chart) x(t time.Time) float64 {
	span := c.end.Sub(c.start)
	if span <= 0 {
		return marginLeft
	}
	f := float64(t.Sub(c.start)) / float64(span)
	return marginLeft + min(max(f, 0), 1)*plotWidth
}

// svg renders the chart. The value is drawn as a band from each bucket's
// lowest to highest value with a line along the highest (a spike is never
// averaged away), the threshold as a dashed line, a baseline rule's
// learned normal ± one standard deviation as a band, buckets in which the
// rule was firing shaded, firings and resolutions as markers along the
// top, actions as diamonds along the bottom.
func (c *chart) svg() template.HTML {
	var w svgWriter
	vals := c.series.Filled(c.start, c.width)
	top := 0.0
	for _, p := range vals {
		top = max(top, p.Max)
		if !math.IsNaN(p.Threshold) {
			top = max(top, p.Threshold)
		}
		if c.baseline {
			top = max(top, p.Baseline+p.Spread)
		}
	}
	if top <= 0 {
		top = 1
	}
	top = niceCeil(top * 1.05)
	y := func(v float64) float64 { return marginTop + plotHeight*(1-min(max(v/top, 0), 1)) }
	bx := func(i int) float64 { return c.x(c.start.Add(time.Duration(i) * c.width)) }
	cx := func(i int) float64 { return c.x(c.start.Add(time.Duration(i)*c.width + c.width/2)) }

	w.open("svg", "class", "chart", "data-rule", c.rule, "viewBox", "0 0 "+num(chartWidth)+" "+num(chartHeight),
		"width", num(chartWidth), "height", num(chartHeight), "role", "img",
		"aria-label", "value of "+c.rule+" over the log's time")
	w.elem("rect", "class", "plot", "x", num(marginLeft), "y", num(marginTop), "width", num(plotWidth), "height", num(plotHeight))

	// Firing spans.
	for i := 0; i < len(vals); {
		if !vals[i].Firing {
			i++
			continue
		}
		j := i
		for j < len(vals) && vals[j].Firing {
			j++
		}
		x0, x1 := bx(i), bx(j)
		w.titled("rect", "firing", "class", "firing", "x", num(x0), "y", num(marginTop), "width", num(max(x1-x0, 1)), "height", num(plotHeight))
		i = j
	}

	// Grid and the y axis.
	for _, f := range []float64{0, 0.5, 1} {
		v := top * f
		w.elem("line", "class", "grid", "x1", num(marginLeft), "x2", num(marginLeft+plotWidth), "y1", num(y(v)), "y2", num(y(v)))
		w.text("text", axisLabel(roundLabel(v), c.series.Unit), "class", "ylabel", "x", num(marginLeft-6), "y", num(y(v)+4))
	}
	// The x axis: five times.
	for k := 0; k <= 4; k++ {
		t := c.start.Add(time.Duration(float64(c.end.Sub(c.start)) * float64(k) / 4))
		anchor := "middle"
		switch k {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		w.text("text", timeLabel(t, c.end.Sub(c.start)), "class", "xlabel", "x", num(c.x(t)), "y", num(chartHeight-8), "text-anchor", anchor)
	}

	// The baseline band: the learned normal ± one standard deviation.
	if c.baseline {
		var up, down []string
		for i, p := range vals {
			if p.Baseline == 0 && p.Spread == 0 {
				continue
			}
			up = append(up, num(cx(i))+","+num(y(p.Baseline+p.Spread)))
			down = append(down, num(cx(i))+","+num(y(max(p.Baseline-p.Spread, 0))))
		}
		if len(up) > 0 {
			for i, j := 0, len(down)-1; i < j; i, j = i+1, j-1 {
				down[i], down[j] = down[j], down[i]
			}
			w.titled("polygon", "learned normal ± 1 standard deviation", "class", "baseline", "points", strings.Join(append(up, down...), " "))
		}
	}

	// The value: the min–max band, then the line along the highest.
	var hi, lo []string
	for i, p := range vals {
		hi = append(hi, num(cx(i))+","+num(y(p.Max)))
		lo = append(lo, num(cx(i))+","+num(y(p.Min)))
	}
	if len(vals) == 1 { // one bucket: a segment across it, not a point nobody sees
		p := vals[0]
		hi = []string{num(bx(0)) + "," + num(y(p.Max)), num(bx(1)) + "," + num(y(p.Max))}
		lo = []string{num(bx(0)) + "," + num(y(p.Min)), num(bx(1)) + "," + num(y(p.Min))}
	}
	if len(hi) > 0 {
		for i, j := 0, len(lo)-1; i < j; i, j = i+1, j-1 {
			lo[i], lo[j] = lo[j], lo[i]
		}
		w.elem("polygon", "class", "range", "points", strings.Join(append(slicesClone(hi), lo...), " "))
		w.elem("path", "class", "value", "d", "M"+strings.Join(hi, "L"))
	}

	// The threshold, where there is one (none while a baseline learns).
	var seg []string
	flush := func() {
		if len(seg) > 0 {
			w.elem("path", "class", "threshold", "d", "M"+strings.Join(seg, "L"))
			seg = nil
		}
	}
	for i, p := range vals {
		if math.IsNaN(p.Threshold) {
			flush()
			continue
		}
		seg = append(seg, num(bx(i))+","+num(y(p.Threshold)), num(bx(i+1))+","+num(y(p.Threshold)))
	}
	flush()

	// Alert markers along the top, action markers along the bottom.
	for _, a := range c.alerts {
		x := c.x(a.Time)
		tip := fmt.Sprintf("%s %s at %s: %s (threshold %s)", a.Rule, stateWord(a), a.Time.UTC().Format(time.RFC3339),
			alert.FormatValue(a.Value, a.Unit), alert.FormatValue(a.Threshold, a.Unit))
		if len(a.Keys) > 0 {
			tip += "; top " + a.GroupBy + ": " + alert.Sanitize(a.Keys[0].Key, 80)
		}
		if a.State == alert.Firing {
			w.titled("path", tip, "class", "mark-firing", "d", "M"+num(x-5)+","+num(marginTop-10)+"L"+num(x+5)+","+num(marginTop-10)+"L"+num(x)+","+num(marginTop)+"Z")
		} else {
			w.titled("path", tip, "class", "mark-resolved", "d", "M"+num(x)+","+num(marginTop-10)+"L"+num(x)+","+num(marginTop))
		}
	}
	for _, a := range c.actions {
		x, yb := c.x(a.Time), float64(marginTop+plotHeight)
		w.titled("path", a.Time.UTC().Format(time.RFC3339)+" "+alert.Sanitize(a.Label, 120), "class", "mark-action",
			"d", "M"+num(x)+","+num(yb-6)+"L"+num(x+5)+","+num(yb)+"L"+num(x)+","+num(yb+6)+"L"+num(x-5)+","+num(yb)+"Z")
	}
	w.close("svg")
	return template.HTML(w.b.String()) // every value above went through esc
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// roundLabel keeps a label's three significant digits.
func roundLabel(v float64) float64 {
	if v == 0 {
		return 0
	}
	p := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// axisLabel prints a value on the y axis: distinct counts without their
// unit, which the rule's heading names, to fit the margin.
func axisLabel(v float64, unit alert.Unit) string {
	if unit == alert.Distinct {
		unit = ""
	}
	return alert.FormatValue(v, unit)
}

// timeLabel prints a time on the x axis: with the date when the chart
// spans days.
func timeLabel(t time.Time, span time.Duration) string {
	t = t.UTC()
	switch {
	case span > 48*time.Hour:
		return t.Format("Jan 2 15:04")
	case span > 10*time.Minute:
		return t.Format("15:04")
	}
	return t.Format("15:04:05")
}
