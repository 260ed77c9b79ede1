package samlocal

import (
	"bytes"
	"io"
	"sync"
)

// lineLog serialises lines from several processes onto one writer.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func newLineLog(w io.Writer) *lineLog { return &lineLog{w: w} }

// writer returns a writer that prefixes every line with prefix.
func (l *lineLog) writer(prefix string) *prefixWriter {
	return &prefixWriter{log: l, prefix: []byte(prefix + " | ")}
}

type prefixWriter struct {
	log    *lineLog
	prefix []byte
	mu     sync.Mutex
	buf    []byte // an incomplete last line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.emit(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	if len(p.buf) > 64<<10 { // a very long line: write it in parts
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
	return len(b), nil
}

// Flush writes an incomplete last line.
func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *prefixWriter) emit(line []byte) {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	p.log.w.Write(append(append([]byte(nil), p.prefix...), line...))
}
