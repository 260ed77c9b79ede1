// Package safe runs a request's side work in goroutines without losing their panics. A
// panic in a goroutine a handler started is out of reach of the handler's recover (pkg/api):
// it would end the process, and the client would get API Gateway's bare 500 instead of the
// contract's envelope. Go carries it back to the goroutine that waits for the work.
package safe

import (
	"fmt"
	"runtime/debug"
)

// Panic is a panic carried from the goroutine it happened in, with that goroutine's stack.
type Panic struct {
	Value any
	Stack string
}

func (p *Panic) String() string { return fmt.Sprintf("%v\n\n%s", p.Value, p.Stack) }

// Go runs f in a new goroutine and returns wait, which blocks until f has returned and, if
// f panicked, panics with it (a *Panic) in the caller's goroutine. A caller that never
// calls wait (it gave up on f's result) drops f's panic with f.
func Go(f func()) (wait func()) {
	done := make(chan struct{})
	var p *Panic
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				p = &Panic{Value: v, Stack: string(debug.Stack())}
			}
		}()
		f()
	}()
	return func() {
		<-done
		if p != nil {
			panic(p)
		}
	}
}
