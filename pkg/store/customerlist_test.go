package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/customers/pkg/api"
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/auth"
	"github.com/acme/customers/pkg/config"
	"github.com/acme/customers/pkg/customers"
	"github.com/acme/customers/pkg/flows"
	"github.com/acme/customers/pkg/handlers"
	"github.com/acme/customers/pkg/seal"
	"github.com/acme/customers/pkg/secrets"
	"github.com/acme/customers/pkg/settings"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// listPage is a customer list response, as a client reads it: ids, links and meta.
type listPage struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	api.ListMeta
}

// listCustomers serves GET /v2/customers from s through the ListCustomers handler, so that
// pages, links and meta are what a client gets.
func listCustomers(t *testing.T, s *store.Store) func(query string) listPage {
	logger := api.Logger
	api.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	t.Cleanup(func() { api.Logger = logger })
	src := secrets.Generated("cursors", "access")
	secret := func(id string) *secrets.Value { return secrets.NewValue(src, id, time.Hour, nil) }
	s.WithCursors(seal.NewKeyring(secret("cursors"), store.CursorPurpose))
	tokens, err := auth.NewTokens(auth.TokenConfig{Issuer: config.DefaultIssuer, Keys: s,
		Signing: map[auth.Kind]*secrets.Value{auth.AccessKind: secret("access")}})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := tokens.IssueAccess(context.Background(), auth.ClientCredentials, "test-client")
	if err != nil {
		t.Fatal(err)
	}
	h := api.Handle("ListCustomers", handlers.ListCustomers(&app.Deps{Tokens: tokens,
		Customers: customers.NewService(s, nil, tokens, customers.Rules{}), Settings: settings.NewService(s, time.Hour), Schemas: flows.NewSchemas(s, time.Hour)}))
	return func(query string) listPage {
		t.Helper()
		out, err := h(context.Background(), testenv.Event(testenv.Request{Route: "GET /v2/customers", Query: query,
			Headers: map[string]string{"Authorization": "Bearer " + admin.Value}}))
		var p listPage
		if err != nil || out.StatusCode != 200 || json.Unmarshal([]byte(out.Body), &p) != nil {
			t.Fatalf("%s: %d %s %v", query, out.StatusCode, out.Body, err)
		}
		return p
	}
}

// TestListBudgetPages: when rows must be checked one by one (like(name,*son*)) and the
// row budget runs out, before the requested offset is reached or within the page,
// following links.next from any page still gives every match once, in order, each at the
// offset its page says, with a total and page counts that hold. The budgets are cut down
// so that hundreds of customers reach them.
func TestListBudgetPages(t *testing.T) {
	db := testenv.NewDB(t)
	s := store.New(db.Client, db.Table)
	s.SetListBudgets(40, 10)
	list := listCustomers(t, s)

	// 240 customers, one in four a match, created a second apart.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	all := make([]*customers.Customer, 240)
	var wg sync.WaitGroup
	errs := make(chan error, len(all))
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(all); i += 8 {
				c := newCustomer("c" + strconv.Itoa(i) + "@example.com")
				c.Name = fmt.Sprintf("Customer %03d", (i*37)%len(all)) // names in another order than creation
				if i%4 == 0 {
					c.Name += " Swanson"
				}
				c.CreatedAt = start.Add(time.Duration(i) * time.Second)
				c.UpdatedAt = c.CreatedAt
				all[i] = c
				errs <- s.Create(context.Background(), c)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	const limit = 4
	var short, emptied int // pages the budget cut short, and those it emptied
	for _, sort := range []string{"", "&sort=name", "&sort=-email"} {
		field, desc := customers.SortCreatedAt, true
		if sort != "" {
			field, desc = customers.SortField(strings.TrimPrefix(sort[len("&sort="):], "-")), strings.HasPrefix(sort, "&sort=-")
		}
		var want []string // every match, in the list's order
		for _, c := range slices.SortedFunc(slices.Values(all), func(a, b *customers.Customer) int {
			if customers.Before(a, b, field) != desc {
				return -1
			}
			return 1
		}) {
			if strings.Contains(c.Name, "son") {
				want = append(want, c.ID)
			}
		}
		for _, offset := range []int{0, 3, 21, 45, 59, 60, 64} {
			t.Run(fmt.Sprintf("offset %d%s", offset, sort), func(t *testing.T) {
				query := fmt.Sprintf("page[limit]=%d&page[offset]=%d&filter=like(name,*son*)%s", limit, offset, sort)
				var got []string
				for pages := 1; query != ""; pages++ {
					if pages > 3*len(want) {
						t.Fatal("links.next never ends")
					}
					p := list(query)
					ids := make([]string, len(p.Data))
					for i, c := range p.Data {
						ids[i] = c.ID
					}
					at, total := p.Meta.Page.Offset, p.Meta.Results.Total
					if !slices.Equal(ids, want[min(at, len(want)):min(len(want), at+len(ids))]) {
						t.Fatalf("page %d at offset %d shows %d rows that are not the matches there", pages, at, len(ids))
					}
					got = append(got, ids...)
					if p.Links.Next != nil && len(ids) < limit {
						short++
						if len(ids) == 0 {
							emptied++
						}
					}
					exact := p.Meta.Results.TotalMethod == ""
					// A lower bound counts the matches seen: those the page shows, and those before them.
					if (exact && total != len(want)) || total > len(want) || (len(ids) > 0 && total < at+len(ids)) {
						t.Errorf("page %d at offset %d: total %d (exact %v) with %d matches", pages, at, total, exact, len(want))
					}
					if p.Meta.Page.Limit != limit || p.Meta.Page.Current != at/limit+1 || p.Meta.Page.Total != (total+limit-1)/limit {
						t.Errorf("page %d: meta.page %+v with total %d", pages, p.Meta.Page, total)
					}
					if exact && p.Links.Next != nil && at+len(ids) >= total {
						t.Errorf("page %d: links.next past the last of %d matches", pages, total)
					}
					query = ""
					if p.Links.Next != nil {
						_, query, _ = strings.Cut(*p.Links.Next, "?")
					}
				}
				if !slices.Equal(got, want[min(offset, len(want)):]) {
					t.Errorf("following links.next from offset %d gave %d rows, not the %d matches from there in order",
						offset, len(got), len(want[min(offset, len(want)):]))
				}
			})
		}
	}
	if short == emptied || emptied == 0 {
		t.Errorf("%d pages cut short by the budget, %d of them empty: the budgets no longer test what they should", short, emptied)
	}
}
