package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one scenario's results side by side, with the ratio of the first
// target's consumed rate to the second's (0 when either is missing).
type Row struct {
	Name    string   `json:"name"`
	Results []Result `json:"results"`
	Ratio   float64  `json:"ratio,omitempty"`
}

// Rows groups results by scenario, in the order they were measured.
func Rows(results []Result) []Row {
	var rows []Row
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Name]
		if !ok {
			i = len(rows)
			index[r.Name] = i
			rows = append(rows, Row{Name: r.Name})
		}
		rows[i].Results = append(rows[i].Results, r)
	}
	for i := range rows {
		rs := rows[i].Results
		if len(rs) == 2 && rs[0].Err == "" && rs[1].Err == "" && rs[1].Rate > 0 {
			rows[i].Ratio = rs[0].Rate / rs[1].Rate
		}
	}
	return rows
}

// WriteJSON writes the rows as one JSON document.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Rows []Row `json:"rows"`
	}{Rows(results)})
}

// WriteTable writes a table with, per target, the consumed rate and p50/p99
// latency, and the ratio of the first target's rate to the second's.
func WriteTable(w io.Writer, targets []string, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"scenario"}
	for _, t := range targets {
		head = append(head, t+" msg/s", "p50", "p99")
	}
	if len(targets) == 2 {
		head = append(head, targets[0]+"/"+targets[1])
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	var failures []string
	for _, row := range Rows(results) {
		cells := []string{row.Name}
		for _, t := range targets {
			r, ok := find(row.Results, t)
			switch {
			case !ok:
				cells = append(cells, "-", "-", "-")
			case r.Err != "":
				cells = append(cells, "failed", "-", "-")
				failures = append(failures, fmt.Sprintf("%s on %s: %s", row.Name, t, r.Err))
			default:
				cells = append(cells, fmt.Sprintf("%.0f", r.Rate), latency(r.P50), latency(r.P99))
			}
		}
		if len(targets) == 2 {
			if row.Ratio > 0 {
				cells = append(cells, fmt.Sprintf("%.2fx", row.Ratio))
			} else {
				cells = append(cells, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range failures {
		fmt.Fprintln(w, "failed:", f)
	}
	return nil
}

func find(rs []Result, target string) (Result, bool) {
	for _, r := range rs {
		if r.Target == target {
			return r, true
		}
	}
	return Result{}, false
}

func latency(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}
