package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/idempotency"
)

// bodyHandler is an endpoint's work for a verified caller and its {"data": ...} body.
type bodyHandler = func(context.Context, *api.Request, auth.Caller, api.Object) (api.Response, error)

// withIdempotentBody is withBody for a POST that creates: with an Idempotency-Key header, a
// request writes at most once per key and caller, and its retries get its answer again
// (package idempotency). Without the header nothing changes.
func withIdempotentBody(d *app.Deps, verify verifier, h bodyHandler) api.HandlerFunc {
	return withBody(verify, func(ctx context.Context, r *api.Request, c auth.Caller, body api.Object) (api.Response, error) {
		raw := r.Header(idempotency.Header)
		if raw == "" {
			return h(ctx, r, c, body)
		}
		key, err := idempotency.Parse(raw)
		if err != nil {
			return api.Response{}, err
		}
		b, err := r.Body()
		if err != nil {
			return api.Response{}, err
		}
		p := &idempotency.Pending{Scope: idempotency.Scope(string(c.Grant), c.CustomerID), Key: key,
			Fingerprint: idempotency.Fingerprint(r.RouteKey, r.Params(), b), Created: time.Now().UTC()}
		if res, ok, err := replay(ctx, d, p); ok || err != nil {
			return res, err
		}
		res, err := h(idempotency.With(ctx, p), r, c, body)
		if errors.Is(err, idempotency.ErrRace) {
			// A request with the same key wrote first: its answer is this one's.
			if res, ok, err := replay(ctx, d, p); ok || err != nil {
				return res, err
			}
			return api.Response{}, idempotency.ErrInProgress
		}
		if err == nil && p.Written() {
			if err := d.Store.CompleteIdempotency(ctx, p, res.StatusCode, res.Body, res.Headers["Content-Type"], res.Headers["ETag"]); err != nil {
				// The resource is written; a retry will be told to wait, never write twice.
				api.Logger.Error("storing an idempotent answer failed", "request_id", r.ID, "error", err.Error())
			}
		}
		return res, err
	})
}

// replayWait bounds how long a retry waits for the answer of the request that holds its key.
const replayWait = 2 * time.Second

// replay answers from p's record when there is one (ok): the stored answer when it is for
// the same request — waiting up to replayWait while that request is still being answered —
// and a 422 when it is for another.
func replay(ctx context.Context, d *app.Deps, p *idempotency.Pending) (res api.Response, ok bool, err error) {
	deadline := time.Now().Add(replayWait)
	for {
		rec, err := d.Store.IdempotencyRecord(ctx, p)
		switch {
		case err != nil:
			return api.Response{}, true, err
		case rec == nil:
			return api.Response{}, false, nil
		case rec.Fingerprint != p.Fingerprint:
			return api.Response{}, true, idempotency.ErrReused
		case rec.Done:
			res := api.Response{StatusCode: rec.Status, Body: rec.Body,
				Headers: map[string]string{"Content-Type": rec.ContentType, "Idempotent-Replayed": "true"}}
			if rec.ETag != "" {
				res.Headers["ETag"] = rec.ETag
			}
			return res, true, nil
		case time.Now().After(deadline):
			return api.Response{}, true, idempotency.ErrInProgress
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return api.Response{}, true, idempotency.ErrInProgress
		}
	}
}
