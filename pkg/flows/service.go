package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/etag"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/problem"
)

// Service is the flows and fields endpoints' logic: any valid token reads, only
// client_credentials writes.
type Service struct {
	store Store
	now   func() time.Time
	// changed is told the slug of every flow whose fields changed through this process,
	// so that its cached schema is dropped at once (nil: nobody listens).
	changed func(flowSlug string)
}

// NewService returns a Service on s; changed (may be nil) hears of every flow whose fields
// this process changes.
func NewService(s Store, changed func(flowSlug string)) *Service {
	if changed == nil {
		changed = func(string) {}
	}
	return &Service{store: s, now: time.Now, changed: changed}
}

// CreateFlow creates a flow.
func (s *Service) CreateFlow(ctx context.Context, c auth.Caller, o api.Object) (*Flow, error) {
	if err := mayWrite(c); err != nil {
		return nil, err
	}
	f, err := ParseFlow(o, nil)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	f.ID, f.Version, f.CreatedAt, f.UpdatedAt = id.New(), 1, now, now
	if err := s.store.CreateFlow(ctx, f); err != nil {
		return nil, err
	}
	s.changed(f.Slug)
	return f, nil
}

// Flows lists every flow.
func (s *Service) Flows(ctx context.Context, _ auth.Caller) ([]*Flow, error) {
	return s.store.Flows(ctx)
}

// Flow reads a flow by id.
func (s *Service) Flow(ctx context.Context, _ auth.Caller, flowID string) (*Flow, error) {
	if !id.Valid(flowID) {
		return nil, ErrFlowNotFound
	}
	return s.store.Flow(ctx, flowID)
}

// UpdateFlow changes a flow (a partial update). With If-Match (m), the flow read must be
// at a version m names, and is written at that version.
func (s *Service) UpdateFlow(ctx context.Context, c auth.Caller, flowID string, o api.Object, m etag.Match) (*Flow, error) {
	if err := mayWrite(c); err != nil {
		return nil, err
	}
	cur, err := s.Flow(ctx, c, flowID)
	if err != nil {
		return nil, err
	}
	if err := m.Check(flowID, cur.Version); err != nil {
		return nil, err
	}
	next, err := ParseFlow(o, cur)
	if err != nil {
		return nil, err
	}
	next.Version, next.UpdatedAt = cur.Version+1, s.now().UTC()
	if err := s.store.UpdateFlow(ctx, cur, next); err != nil {
		return nil, m.Refused(flowID, err)
	}
	s.changed(cur.Slug)
	s.changed(next.Slug)
	return next, nil
}

// DeleteFlow deletes a flow that has no fields; one that has some is a 409 naming them.
// With If-Match (m), the flow must be at a version m names (the delete is at the version
// read).
func (s *Service) DeleteFlow(ctx context.Context, c auth.Caller, flowID string, m etag.Match) error {
	if err := mayWrite(c); err != nil {
		return err
	}
	f, err := s.Flow(ctx, c, flowID)
	if err != nil {
		return err
	}
	if err := m.Check(flowID, f.Version); err != nil {
		return err
	}
	err = m.Refused(flowID, s.store.DeleteFlow(ctx, f))
	if errors.Is(err, ErrHasFields) {
		_, fields, ferr := s.store.FlowFields(ctx, f.Slug)
		if ferr != nil {
			return ferr
		}
		return hasFields(f, fields)
	}
	if err == nil {
		s.changed(f.Slug)
	}
	return err
}

// hasFields is the 409 of a flow deleted with fields: it names them (the first 20).
func hasFields(f *Flow, fields []*Field) error {
	SortFields(fields)
	names := make([]string, 0, min(len(fields), 20))
	for _, fd := range fields[:min(len(fields), 20)] {
		names = append(names, fd.Slug)
	}
	more := ""
	if len(fields) > 20 {
		more = fmt.Sprintf(" and %d more", len(fields)-20)
	}
	return &problem.Error{Kind: problem.Conflict, Title: "Conflict",
		Detail: fmt.Sprintf("the flow %s still has fields (%s%s): delete them first", problem.Quote(f.Slug), strings.Join(names, ", "), more)}
}

// CreateField adds a field to the flow its body names.
func (s *Service) CreateField(ctx context.Context, c auth.Caller, o api.Object) (*Field, error) {
	if err := mayWrite(c); err != nil {
		return nil, err
	}
	body, err := ParseField(o, nil)
	if err != nil {
		return nil, err
	}
	f := body.Field
	flow, err := s.Flow(ctx, c, body.FlowID)
	if errors.Is(err, ErrFlowNotFound) {
		return nil, problem.Invalid("data.relationships.flow", "data.relationships.flow names no flow")
	}
	if err != nil {
		return nil, err
	}
	if why := Reserved(flow.Slug, f.Slug); why != "" {
		return nil, problem.Invalid("data.slug", why)
	}
	now := s.now().UTC()
	f.ID, f.FlowID, f.FlowSlug, f.Version, f.CreatedAt, f.UpdatedAt = id.NewOrdered(), flow.ID, flow.Slug, 1, now, now
	if err := s.store.CreateField(ctx, f); err != nil {
		return nil, err
	}
	s.changed(f.FlowSlug)
	return f, nil
}

// Fields lists every field of every flow.
func (s *Service) Fields(ctx context.Context, _ auth.Caller) ([]*Field, error) {
	fs, err := s.store.AllFields(ctx)
	SortFields(fs)
	return fs, err
}

// FlowFields lists the fields of one flow, named by its id or its slug (the SDK's
// Flows.GetFields sends the slug).
func (s *Service) FlowFields(ctx context.Context, c auth.Caller, flow string) ([]*Field, error) {
	slug := flow
	if id.Valid(flow) {
		f, err := s.store.Flow(ctx, flow)
		if err != nil {
			return nil, err
		}
		slug = f.Slug
	}
	f, fields, err := s.store.FlowFields(ctx, slug)
	if err == nil && f == nil {
		return nil, ErrFlowNotFound
	}
	SortFields(fields)
	return fields, err
}

// Field reads a field by id.
func (s *Service) Field(ctx context.Context, _ auth.Caller, fieldID string) (*Field, error) {
	if !id.Valid(fieldID) {
		return nil, ErrFieldNotFound
	}
	return s.store.Field(ctx, fieldID)
}

// UpdateField changes a field (a partial update; its type and flow never change). Values
// already stored are kept whatever the new rules say: they are checked again only when
// written. With If-Match (m), the field read must be at a version m names, and is written
// at that version.
func (s *Service) UpdateField(ctx context.Context, c auth.Caller, fieldID string, o api.Object, m etag.Match) (*Field, error) {
	if err := mayWrite(c); err != nil {
		return nil, err
	}
	cur, err := s.Field(ctx, c, fieldID)
	if err != nil {
		return nil, err
	}
	if err := m.Check(fieldID, cur.Version); err != nil {
		return nil, err
	}
	body, err := ParseField(o, cur)
	if err != nil {
		return nil, err
	}
	next := body.Field
	if why := Reserved(cur.FlowSlug, next.Slug); why != "" && next.Slug != cur.Slug {
		return nil, problem.Invalid("data.slug", why)
	}
	next.Version, next.UpdatedAt = cur.Version+1, s.now().UTC()
	if err := s.store.UpdateField(ctx, cur, next); err != nil {
		return nil, m.Refused(fieldID, err)
	}
	s.changed(cur.FlowSlug)
	return next, nil
}

// DeleteField deletes a field; its stored values are never shown again. With If-Match (m),
// the field must be at a version m names: the field read, and the field deleted (at the
// version read).
func (s *Service) DeleteField(ctx context.Context, c auth.Caller, fieldID string, m etag.Match) error {
	if err := mayWrite(c); err != nil {
		return err
	}
	f, err := s.Field(ctx, c, fieldID)
	if err != nil {
		return err
	}
	if err := m.Check(fieldID, f.Version); err != nil {
		return err
	}
	if err := s.store.DeleteField(ctx, f, m.Versions(fieldID) != nil); err != nil {
		return m.Refused(fieldID, err)
	}
	s.changed(f.FlowSlug)
	return nil
}
