// Package flows is custom data: flows and the fields they hold (/v2/flows, /v2/fields). A
// flow whose slug is customers, addresses or orders extends that resource: each enabled
// field of it is one more top-level key of those objects, written and read like the
// built-in ones (Schema, in schema.go). Other flows may hold fields, but their entries are
// out of scope. Values are stored under the field's id, never its slug, so that a field
// deleted and created again with the same slug never shows the old values.
package flows

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/problem"
)

// The core flows: the resources a flow can extend.
const (
	Customers = "customers"
	Addresses = "addresses"
	Orders    = "orders"
)

// Core lists the core flows' slugs.
var Core = []string{Customers, Addresses, Orders}

// Limits.
const (
	MaxFlows         = 100 // flows in a store
	MaxFieldsPerFlow = 100 // as the original
	MaxSlug          = 64  // bytes of a flow's or a field's slug
	MaxName          = 255
	MaxDescription   = 1024
	MaxEnumOptions   = 100
	// MaxTextValue bounds a string value in bytes (UTF-8): with at most 100 fields a flow,
	// an object's custom values stay near 200 KB, well inside DynamoDB's 400 KB item.
	MaxTextValue = 2048
)

// Flow is a flow.
type Flow struct {
	ID          string
	Slug        string
	Name        string
	Description string
	Enabled     bool
	// Fields is how many fields the flow holds.
	Fields int
	// Retired are the ids of its deleted fields (read with its fields, not shown).
	Retired   []string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FieldType is a field's type: what its values are.
type FieldType string

// The field types.
const (
	String  FieldType = "string"
	Integer FieldType = "integer"
	Boolean FieldType = "boolean"
	Float   FieldType = "float"
	Date    FieldType = "date"
)

// FieldTypes lists the field types.
var FieldTypes = []FieldType{String, Integer, Boolean, Float, Date}

// Rule is one validation rule of a field.
type Rule struct {
	// Type is enum, email, slug or between.
	Type string
	// Options: the values an enum allows (of the field's type).
	Options []any
	// From and To bound a between, inclusive.
	From, To float64
}

// Field is a field of a flow.
type Field struct {
	ID          string
	FlowID      string
	FlowSlug    string
	Name        string
	Slug        string
	Description string
	Type        FieldType
	Rules       []Rule
	Required    bool
	// Default is what an omitted value becomes on create (nil: none, null).
	Default  any
	Enabled  bool
	OmitNull bool
	Order    int
	Version  int64

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Errors the store reports.
var (
	ErrFlowNotFound  = problem.Missing("flow")
	ErrFieldNotFound = problem.Missing("field")
	// ErrStale: the flow or field changed since it was read.
	ErrStale = &problem.Error{Kind: problem.Conflict, Title: "Conflict", Detail: "it changed while this request was being handled; read it again"}
	// ErrFlowSlugTaken: another flow has the slug.
	ErrFlowSlugTaken = problem.Invalid("data.slug", "another flow has this slug")
	// ErrFieldSlugTaken: another field of the flow has the slug.
	ErrFieldSlugTaken = problem.Invalid("data.slug", "another field of this flow has this slug")
	// ErrTooManyFields: the flow holds MaxFieldsPerFlow fields.
	ErrTooManyFields = problem.Invalid("data.relationships.flow", "a flow holds at most 100 fields")
	// ErrTooManyFlows: the store has MaxFlows flows.
	ErrTooManyFlows = problem.Invalid("data", "a store has at most 100 flows")
	// ErrSlugWithFields: a flow's slug cannot change while it holds fields (their
	// definitions are kept under it).
	ErrSlugWithFields = &problem.Error{Kind: problem.Conflict, Title: "Conflict", Source: "data.slug",
		Detail: "a flow's slug cannot change while it has fields; delete its fields first"}
)

// Store keeps flows and fields. Package store implements it.
type Store interface {
	CreateFlow(ctx context.Context, f *Flow) error
	Flow(ctx context.Context, id string) (*Flow, error)
	Flows(ctx context.Context) ([]*Flow, error)
	// UpdateFlow writes next over cur, if cur is still the stored version.
	UpdateFlow(ctx context.Context, cur, next *Flow) error
	// DeleteFlow deletes f if it has no fields (ErrHasFields otherwise).
	DeleteFlow(ctx context.Context, f *Flow) error

	// CreateField adds f to its flow (FlowID and FlowSlug set), within MaxFieldsPerFlow.
	CreateField(ctx context.Context, f *Field) error
	Field(ctx context.Context, id string) (*Field, error)
	// FlowFields returns the flow with that slug (nil if none) and its fields.
	FlowFields(ctx context.Context, flowSlug string) (*Flow, []*Field, error)
	// AllFields returns every field of every flow.
	AllFields(ctx context.Context) ([]*Field, error)
	UpdateField(ctx context.Context, cur, next *Field) error
	// DeleteField deletes f; atVersion: only if it is still at f's version (else an
	// etag.Changed).
	DeleteField(ctx context.Context, f *Field, atVersion bool) error
}

// ErrHasFields is the store's refusal to delete a flow that has fields.
var ErrHasFields = errors.New("flows: the flow has fields")

var errWriteDenied = problem.Denied("flows and fields are changed with a client_credentials token")

// mayRead: any valid token reads flows and fields (a storefront needs them to draw its
// forms); mayWrite: only client_credentials.
func mayWrite(c auth.Caller) error {
	if !c.Admin() {
		return errWriteDenied
	}
	return nil
}

// SortFields orders fields as responses list them: by order, then slug.
func SortFields(fs []*Field) {
	slices.SortStableFunc(fs, func(a, b *Field) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Slug, b.Slug))
	})
}
