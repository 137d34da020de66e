package bench

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Result is one line of `go test -bench` output: a benchmark's name
// (without the -GOMAXPROCS suffix), iterations and metrics by unit.
type Result struct {
	Name    string
	N       int
	Metrics map[string]float64
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// Parse reads `go test -bench` output and returns its results in order.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		res := Result{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: metric %q: %w", res.Name, f[i], err)
			}
			res.Metrics[f[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Pair is a product benchmark next to its floor, with the metric they
// are compared by.
type Pair struct {
	Name           string // e.g. "JoinHTTP/callers=64"
	Product, Floor Result
	// Rate is the throughput unit compared ("joins/s", ...); Ratio is the
	// product's rate over the floor's.
	Rate  string
	Ratio float64
}

// Pairs matches each BenchmarkX[/sub] with BenchmarkXFloor[/sub] and
// compares them by their first "/s" metric (or, with none, by ns/op).
func Pairs(results []Result) []Pair {
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	var out []Pair
	for _, r := range results {
		base, sub, _ := strings.Cut(r.Name, "/")
		if strings.HasSuffix(base, "Floor") {
			continue
		}
		floorName := base + "Floor"
		if sub != "" {
			floorName += "/" + sub
		}
		f, ok := byName[floorName]
		if !ok {
			continue
		}
		p := Pair{Name: strings.TrimPrefix(r.Name, "Benchmark"), Product: r, Floor: f}
		p.Rate = rateUnit(r)
		if p.Rate != "" && f.Metrics[p.Rate] > 0 {
			p.Ratio = r.Metrics[p.Rate] / f.Metrics[p.Rate]
		} else if r.Metrics["ns/op"] > 0 {
			p.Rate = "ns/op"
			p.Ratio = f.Metrics["ns/op"] / r.Metrics["ns/op"]
		}
		out = append(out, p)
	}
	return out
}

func rateUnit(r Result) string {
	var units []string
	for u := range r.Metrics {
		if strings.HasSuffix(u, "/s") {
			units = append(units, u)
		}
	}
	sort.Strings(units)
	if len(units) == 0 {
		return ""
	}
	return units[0]
}
