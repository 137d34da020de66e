// Command benchreport turns `go test -bench` output of internal/bench
// (on stdin) into the results table of BENCHMARKS.md and its chart, an
// SVG of each product path's rate as a share of its floor's. Text outside
// the markers in BENCHMARKS.md (the analysis) is kept.
//
//	go test -run '^$' -bench . ./internal/bench | go run ./internal/bench/cmd/benchreport -md BENCHMARKS.md -svg docs/bench-ratios.svg
package main

import (
	"bytes"
	"flag"
	"fmt"
	"html"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/chattocalls/chatto/internal/bench"
)

const (
	startMark = "<!-- results:start (written by benchreport) -->"
	endMark   = "<!-- results:end -->"
)

func main() {
	md := flag.String("md", "BENCHMARKS.md", "markdown file whose results section is replaced")
	svg := flag.String("svg", "docs/bench-ratios.svg", "chart to write")
	command := flag.String("command", "bash scripts/bench.sh", "the command that produced the input, for the record")
	flag.Parse()
	raw, err := os.ReadFile("/dev/stdin")
	if err == nil {
		err = run(raw, *md, *svg, *command)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(raw []byte, mdPath, svgPath, command string) error {
	results, err := bench.Parse(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	pairs := bench.Pairs(results)
	if len(pairs) == 0 {
		return fmt.Errorf("no product/floor pairs in the input")
	}
	if err := os.WriteFile(svgPath, []byte(chart(pairs)), 0o644); err != nil {
		return err
	}
	section := table(pairs, results, command, svgPath)
	old, err := os.ReadFile(mdPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	i, j := strings.Index(doc, startMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		doc = "# Benchmarks\n\n" + startMark + "\n" + endMark + "\n" + doc
		i, j = strings.Index(doc, startMark), strings.Index(doc, endMark)
	}
	doc = doc[:i+len(startMark)] + "\n" + section + doc[j:]
	return os.WriteFile(mdPath, []byte(doc), 0o644)
}

func table(pairs []bench.Pair, all []bench.Result, command, svgPath string) string {
	var b strings.Builder
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	cpu := "unknown"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(info), "\n") {
			if name, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	fmt.Fprintf(&b, "\n| machine | date | commit | command |\n|---|---|---|---|\n| %s, %d CPUs, %s/%s | %s | `%s` | `%s` |\n\n",
		cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.TrimSpace(string(commit)), command)
	b.WriteString("| benchmark | product | floor | product ÷ floor | product p50 / p99 | floor p50 / p99 | other metrics (product; floor) |\n|---|---|---|---|---|---|---|\n")
	for _, p := range pairs {
		fmt.Fprintf(&b, "| %s | %s | %s | **%.2f×** | %s | %s | %s |\n", p.Name, rate(p.Product, p.Rate), rate(p.Floor, p.Rate), p.Ratio, quantiles(p.Product), quantiles(p.Floor), others(p))
	}
	paired := map[string]bool{}
	for _, p := range pairs {
		paired[p.Product.Name], paired[p.Floor.Name] = true, true
	}
	var rest []bench.Result
	for _, r := range all {
		if !paired[r.Name] {
			rest = append(rest, r)
		}
	}
	if len(rest) > 0 {
		b.WriteString("\nWithout a floor:\n\n| benchmark | metrics |\n|---|---|\n")
		for _, r := range rest {
			var ms []string
			for _, u := range sortedUnits(r) {
				ms = append(ms, fmt.Sprintf("%s %s", num(r.Metrics[u]), u))
			}
			fmt.Fprintf(&b, "| %s | %s |\n", strings.TrimPrefix(r.Name, "Benchmark"), strings.Join(ms, ", "))
		}
	}
	fmt.Fprintf(&b, "\n![product rate as a share of its floor's](%s)\n\n", svgPath)
	return b.String()
}

func rate(r bench.Result, unit string) string {
	return num(r.Metrics[unit]) + " " + unit
}

func quantiles(r bench.Result) string {
	p50, ok50 := r.Metrics["p50-ms"]
	p99, ok99 := r.Metrics["p99-ms"]
	if !ok50 || !ok99 {
		return "—"
	}
	return fmt.Sprintf("%s / %s ms", num(p50), num(p99))
}

// others lists a pair's metrics that the other columns leave out (such
// as rss-MB), or "—".
func others(p bench.Pair) string {
	shown := map[string]bool{p.Rate: true, "ns/op": true, "p50-ms": true, "p99-ms": true}
	list := func(r bench.Result) string {
		var ms []string
		for _, u := range sortedUnits(r) {
			if !shown[u] {
				ms = append(ms, fmt.Sprintf("%s %s", num(r.Metrics[u]), u))
			}
		}
		return strings.Join(ms, ", ")
	}
	prod, floor := list(p.Product), list(p.Floor)
	if prod == "" && floor == "" {
		return "—"
	}
	return prod + "; " + floor
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func sortedUnits(r bench.Result) []string {
	us := slices.Collect(maps.Keys(r.Metrics))
	slices.Sort(us)
	return us
}

// chart draws one horizontal bar per pair: the product's rate as a share
// of its floor's, with the 0.5× goal marked.
func chart(pairs []bench.Pair) string {
	const (
		left, barH, gap, width = 260, 22, 8, 760
		scaleW                 = width - left - 80
	)
	maxRatio := 1.0
	for _, p := range pairs {
		maxRatio = max(maxRatio, p.Ratio)
	}
	height := 40 + len(pairs)*(barH+gap) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="10" y="22" font-weight="bold">Product rate ÷ floor rate (higher is better; goal ≥ 0.5×)</text>`+"\n")
	x := func(r float64) int { return left + int(r/maxRatio*scaleW) }
	for i, p := range pairs {
		y := 40 + i*(barH+gap)
		color := "#c0392b"
		if p.Ratio >= 0.5 {
			color = "#27ae60"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+barH-6, html.EscapeString(p.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", left, y, max(1, x(p.Ratio)-left), barH, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%.2f×</text>`+"\n", x(p.Ratio)+6, y+barH-6, p.Ratio)
	}
	bottom := 40 + len(pairs)*(barH+gap)
	for _, mark := range []float64{0.5, 1} {
		fmt.Fprintf(&b, `<line x1="%d" y1="32" x2="%d" y2="%d" stroke="#555" stroke-dasharray="4 3"/><text x="%d" y="%d" text-anchor="middle">%.1f×</text>`+"\n",
			x(mark), x(mark), bottom, x(mark), bottom+16, mark)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
