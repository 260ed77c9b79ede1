package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestWholeNumber(t *testing.T) {
	for _, c := range []struct {
		raw   string
		v     int64
		title string
	}{
		{"0", 0, ""}, {"7", 7, ""}, {" 10 ", 10, ""},
		{"-3", 0, "range"}, {"11", 0, "range"}, {"99999999999999999999", 0, "range"},
		{"1.5", 0, "type"}, {"1.0", 0, "type"}, {"1e1", 0, "type"}, {`"5"`, 0, "type"}, {"null", 0, "type"}, {"true", 0, "type"}, {"", 0, "type"},
	} {
		v, err := WholeNumber("data.n", json.RawMessage(c.raw), 0, 10)
		switch {
		case c.title == "" && (err != nil || v != c.v):
			t.Errorf("%s: %d %v", c.raw, v, err)
		case c.title != "" && (err == nil || err.Title != c.title || err.Source != "data.n" || !strings.Contains(err.Detail, "from 0 to 10")):
			t.Errorf("%s: %v, want %s", c.raw, err, c.title)
		}
	}
}

func TestBoolean(t *testing.T) {
	for raw, want := range map[string]bool{"true": true, " false ": false} {
		if v, err := Boolean("data.b", json.RawMessage(raw)); err != nil || v != want {
			t.Errorf("%s: %v %v", raw, v, err)
		}
	}
	for _, raw := range []string{`"true"`, "1", "null", ""} {
		if _, err := Boolean("data.b", json.RawMessage(raw)); err == nil || err.Title != "type" {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestText(t *testing.T) {
	for raw, want := range map[string]string{
		`"abc"`: "", `"äöü"`: "", `""`: "", `"abcd"`: "length", `"a\u0007"`: "format", `"a\tb"`: "", `"a\nb"`: "format",
		`1`: "type", `null`: "type", `["a"]`: "type",
	} {
		_, err := Text("data.t", json.RawMessage(raw), 3, "\t")
		if (err == nil) != (want == "") || err != nil && (err.Title != want || err.Source != "data.t") {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}
