package api

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestObject(t *testing.T) {
	var o Object
	if err := json.Unmarshal([]byte(`{"s":"x","e":"","esc":"a\"b\u00e9","n":1,"neg":-1.5,"z":null,"t":true,"f":false,
		"a":["x"],"o":{"s":"x"},"q":"null"}`), &o); err != nil {
		t.Fatal(err)
	}
	o["ws"] = json.RawMessage(" null ")
	o["wss"] = json.RawMessage(` "y" `)

	type want struct {
		has, null bool
		s         string
		ok, err   bool
	}
	for key, w := range map[string]want{
		"s":       {has: true, s: "x", ok: true},
		"e":       {has: true, s: "", ok: true},
		"esc":     {has: true, s: "a\"bé", ok: true},
		"q":       {has: true, s: "null", ok: true},
		"wss":     {has: true, s: "y", ok: true},
		"n":       {has: true, ok: true, err: true},
		"neg":     {has: true, ok: true, err: true},
		"z":       {has: true, null: true, ok: true, err: true},
		"ws":      {has: true, null: true, ok: true, err: true},
		"t":       {has: true, ok: true, err: true},
		"f":       {has: true, ok: true, err: true},
		"a":       {has: true, ok: true, err: true},
		"o":       {has: true, ok: true, err: true},
		"missing": {},
		"S":       {}, // member names are exact
	} {
		t.Run(key, func(t *testing.T) {
			if got := o.Has(key); got != w.has {
				t.Errorf("Has = %v", got)
			}
			if got := o.IsNull(key); got != w.null {
				t.Errorf("IsNull = %v", got)
			}
			s, ok, err := o.String(key)
			if s != w.s || ok != w.ok || (err != nil) != w.err {
				t.Errorf("String = %q, %v, %v; want %q, %v, err=%v", s, ok, err, w.s, w.ok, w.err)
			}
		})
	}
	keys := []string{"a", "e", "esc", "f", "n", "neg", "o", "q", "s", "t", "ws", "wss", "z"}
	for i := 0; i < 5; i++ { // map order is random: the sorted order must not be
		if got := o.Keys(); !slices.Equal(got, keys) {
			t.Fatalf("Keys = %q, want %q", got, keys)
		}
	}
	if got := (Object{}).Keys(); got == nil || len(got) != 0 {
		t.Errorf("empty Keys = %#v", got)
	}
}
