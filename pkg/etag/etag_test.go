package etag

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/acme/customers/pkg/problem"
)

func TestOf(t *testing.T) {
	if got := Of("c1", 7); got != `"c1:7"` {
		t.Errorf("Of = %s", got)
	}
}

func TestParse(t *testing.T) {
	const id = "3f1c"
	for _, tc := range []struct {
		name, header string
		present      bool
		versions     []int64 // for id
	}{
		{"absent", "", false, nil},
		{"any", "*", true, nil},
		{"any with spaces", "  * ", true, nil},
		{"one", `"3f1c:4"`, true, []int64{4}},
		{"list", `"3f1c:4", "3f1c:5" ,"other:6"`, true, []int64{4, 5}},
		{"empty elements", `, "3f1c:4",,`, true, []int64{4}},
		{"weak never matches", `W/"3f1c:4"`, true, []int64{}},
		{"another resource's", `"other:4"`, true, []int64{}},
		{"not a version", `"3f1c:x"`, true, []int64{}},
		{"signed", `"3f1c:+4"`, true, []int64{}},
		{"leading zero", `"3f1c:04"`, true, []int64{}},
		{"version alone", `"4"`, true, []int64{}},
		{"obs-text", "\"3f1c:4\xff\"", true, []int64{}},
		{"the lowest and highest first digits", `"3f1c:0", "3f1c:9"`, true, []int64{0, 9}},
		{"next to the digits", `"3f1c:/", "3f1c::"`, true, []int64{}},
		{"an empty tag", `""`, true, []int64{}},
		{"the lowest tag character", `"!"`, true, []int64{}},
		{"as many tags as allowed", strings.Repeat(`"a:1",`, MaxTags), true, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if m.Present() != tc.present {
				t.Errorf("Present = %v", m.Present())
			}
			got := m.Versions(id)
			if (got == nil) != (tc.versions == nil) || !slices.Equal(got, tc.versions) {
				t.Errorf("Versions = %#v, want %#v", got, tc.versions)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	many := ""
	for range MaxTags + 1 {
		many += `"a:1",`
	}
	for _, h := range []string{" ", ",", " , ", `3f1c:4`, `"3f1c:4`, `"3f1c:4" x`, `"3f1c:4" "3f1c:5"`, `*, "a:1"`,
		`"a b:1"`, "\"a\x01:1\"", `W/`, `w/"a:1"`, many} {
		if _, err := Parse(h); !problem.Is(err, problem.BadRequest) {
			t.Errorf("Parse(%q) = %v, want a 400", h, err)
		}
	}
}

func TestHoldsAndRefused(t *testing.T) {
	m, _ := Parse(`"a:2"`)
	if !m.Holds("a", 2) || m.Holds("a", 3) || m.Holds("b", 2) {
		t.Error("Holds")
	}
	if !(Match{}).Holds("a", 9) || !Any.Holds("a", 9) {
		t.Error("no If-Match, or *, holds for any version")
	}
	err := m.Check("a", 3)
	var p *problem.Error
	if !errors.As(err, &p) || p.Kind != problem.PreconditionFailed || p.ETag != `"a:3"` {
		t.Errorf("Check = %#v", err)
	}
	stale := problem.New(problem.Conflict, "Conflict", "stale")
	changed := &Changed{Version: 5, Err: stale}
	if err := m.Refused("a", changed); !problem.Is(err, problem.PreconditionFailed) {
		t.Errorf("Refused with If-Match = %v", err)
	}
	if err := (Match{}).Refused("a", changed); !problem.Is(err, problem.Conflict) || !errors.Is(err, stale) {
		t.Errorf("Refused without If-Match = %v, want the 409", err)
	}
	if err := m.Refused("a", stale); err != stale {
		t.Errorf("Refused of another error = %v", err)
	}
}
