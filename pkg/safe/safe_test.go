package safe

import (
	"strings"
	"testing"
)

func TestGo(t *testing.T) {
	n := 0
	Go(func() { n = 1 })()
	if n != 1 {
		t.Fatal("wait returned before f did")
	}
	defer func() {
		p, ok := recover().(*Panic)
		if !ok || p.Value != "boom" || !strings.Contains(p.String(), "boom") || !strings.Contains(p.Stack, "goroutine") {
			t.Errorf("recovered %#v", p)
		}
	}()
	Go(func() { panic("boom") })()
	t.Error("wait did not panic")
}
