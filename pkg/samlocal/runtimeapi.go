package samlocal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// runtimeAPI serves the Lambda Runtime API (version 2018-06-01) for one process, the
// protocol aws-lambda-go speaks when AWS_LAMBDA_RUNTIME_API is set.
func (p *process) runtimeAPI(fn Lambda) http.Handler {
	arn := "arn:aws:lambda:us-east-1:123456789012:function:" + fn.Name
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		if p.ready.IsZero() {
			p.ready = time.Now()
		}
		p.mu.Unlock()
		var inv *invocation
		select {
		case inv = <-p.next:
		case <-r.Context().Done():
			return
		case <-p.exited:
			return
		}
		deadline := time.Now().Add(p.timeout)
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", arn)
		h.Set("Lambda-Runtime-Trace-Id", traceID())
		h.Set("Content-Type", "application/json")
		w.Write(inv.event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		inv := p.invocation(r.PathValue("id"))
		if inv == nil {
			runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "unknown request id")
			return
		}
		body, err := io.ReadAll(r.Body)
		var res result
		switch {
		case err != nil:
			res.err = newInvokeError("Runtime.ResponseReadError", err.Error())
		case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
			// aws-lambda-go reports a failure while streaming the response in trailers.
			res.err = trailerError(r.Trailer)
		default:
			res.body = body
		}
		inv.done <- res
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		inv := p.invocation(r.PathValue("id"))
		if inv == nil {
			runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "unknown request id")
			return
		}
		inv.done <- result{err: errorDocument(r, "Function error")}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		e := errorDocument(r, "Runtime.InitError")
		p.mu.Lock()
		p.initError = e
		p.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtimeError(w, http.StatusNotFound, "NotFound", r.Method+" "+r.URL.Path+" is not served locally")
	})
	return mux
}

// invocation returns the process's current invocation if its id is id, and only once:
// a second answer for the same invocation is refused.
func (p *process) invocation(id string) *invocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current == nil || p.current.id != id {
		return nil
	}
	inv := p.current
	p.current = nil
	return inv
}

// errorDocument reads the Lambda error JSON a runtime posts.
func errorDocument(r *http.Request, defaultType string) *InvokeError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &doc)
	typ := doc.ErrorType
	if typ == "" {
		typ = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if typ == "" {
		typ = defaultType
	}
	if !json.Valid(body) || len(body) == 0 {
		return newInvokeError(typ, string(body))
	}
	return &InvokeError{Type: typ, Message: doc.ErrorMessage, Payload: body}
}

func trailerError(t http.Header) *InvokeError {
	typ := t.Get("Lambda-Runtime-Function-Error-Type")
	if body, err := base64.StdEncoding.DecodeString(t.Get("Lambda-Runtime-Function-Error-Body")); err == nil && json.Valid(body) {
		var doc struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(body, &doc)
		return &InvokeError{Type: typ, Message: doc.ErrorMessage, Payload: body}
	}
	return newInvokeError(typ, "response stream failed")
}

func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// newID returns a random UUID (version 4), the shape of Lambda and API Gateway request ids.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// traceID returns an X-Ray trace header value.
func traceID() string {
	var b [20]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:])
}
