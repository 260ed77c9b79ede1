package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/id"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// An update read before its field was deleted and another created with the same slug
// does not land on the new field.
func TestLateFieldUpdate(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	ctx, now := context.Background(), time.Now().UTC()
	flow := &flows.Flow{ID: id.New(), Slug: "customers", Name: "Customers", Enabled: true, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateFlow(ctx, flow); err != nil {
		t.Fatal(err)
	}
	field := func() *flows.Field {
		return &flows.Field{ID: id.NewOrdered(), FlowID: flow.ID, FlowSlug: flow.Slug, Name: "Tier", Slug: "tier",
			Type: flows.String, Enabled: true, Version: 1, CreatedAt: now, UpdatedAt: now}
	}
	a := field()
	if err := s.CreateField(ctx, a); err != nil {
		t.Fatal(err)
	}
	cur, err := s.Field(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteField(ctx, cur, false); err != nil {
		t.Fatal(err)
	}
	b := field()
	if err := s.CreateField(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"tier", "tier_moved"} {
		next := *cur
		next.Name, next.Slug, next.Version = "Late", slug, cur.Version+1
		if err := s.UpdateField(ctx, cur, &next); !errors.Is(err, flows.ErrStale) {
			t.Errorf("a late update (slug %s): %v, want ErrStale", slug, err)
		}
	}
	got, err := s.Field(ctx, b.ID)
	if err != nil || got.ID != b.ID || got.Name != "Tier" {
		t.Errorf("the new field: %+v, %v", got, err)
	}
}
