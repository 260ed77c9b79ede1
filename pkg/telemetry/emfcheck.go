package telemetry

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// emfUnits are the units CloudWatch accepts (compiled by CheckEMF, not at every start).
const emfUnits = `^(Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes/Second|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|Terabytes/Second|Bits/Second|Kilobits/Second|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None)$`

// CheckEMF validates one decoded log line as an embedded-metric-format document, as
// CloudWatch's specification and JSON schema define it: _aws.Timestamp an integer of milliseconds,
// CloudWatchMetrics a non-empty array of directives each with a Namespace, a Dimensions
// array of dimension sets (each at most 30 names of root members with string values) and
// at most 100 Metrics, each the Name of a root member with a numeric value, with a valid
// unit. It returns what is wrong, nothing for a valid document. Tests use it on the lines
// the functions write.
func CheckEMF(line map[string]any) []string {
	emfUnit := regexp.MustCompile(emfUnits)
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	meta, ok := line["_aws"].(map[string]any)
	if !ok {
		return []string{"no _aws object"}
	}
	for k := range meta {
		if k != "Timestamp" && k != "CloudWatchMetrics" {
			bad("_aws has a member the specification does not define: %s", k)
		}
	}
	ts, ok := meta["Timestamp"].(float64)
	if !ok || ts != float64(int64(ts)) || time.Since(time.UnixMilli(int64(ts))).Abs() > time.Hour {
		bad("_aws.Timestamp = %#v, want now in milliseconds since the epoch", meta["Timestamp"])
	}
	dirs, ok := meta["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		return append(errs, fmt.Sprintf("_aws.CloudWatchMetrics = %#v, want a non-empty array", meta["CloudWatchMetrics"]))
	}
	for _, d := range dirs {
		dir, ok := d.(map[string]any)
		if !ok {
			bad("directive %#v is not an object", d)
			continue
		}
		for k := range dir {
			if !slices.Contains([]string{"Namespace", "Dimensions", "Metrics"}, k) {
				bad("directive has a member the specification does not define: %s", k)
			}
		}
		if ns, ok := dir["Namespace"].(string); !ok || ns == "" || len(ns) > 1024 {
			bad("Namespace = %#v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) == 0 {
			bad("Dimensions = %#v, want an array of dimension sets", dir["Dimensions"])
		}
		for _, s := range sets {
			set, ok := s.([]any)
			if !ok || len(set) > 30 {
				bad("dimension set %#v", s)
			}
			for _, name := range set {
				n, _ := name.(string)
				if v, ok := line[n].(string); n == "" || !ok || v == "" || len(v) > 1024 {
					bad("dimension %#v: root member %#v, want a string", name, line[n])
				}
			}
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok || len(metrics) == 0 || len(metrics) > 100 {
			bad("Metrics = %#v", dir["Metrics"])
		}
		for _, m := range metrics {
			def, ok := m.(map[string]any)
			if !ok {
				bad("metric definition %#v", m)
				continue
			}
			name, _ := def["Name"].(string)
			if _, ok := line[name].(float64); name == "" || !ok {
				bad("metric %#v: root member %#v, want a number", def, line[name])
			}
			if u, ok := def["Unit"]; ok {
				if s, _ := u.(string); !emfUnit.MatchString(s) {
					bad("metric %s: unit %#v", name, u)
				}
			}
		}
	}
	return errs
}
