package store

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/acme/customers/pkg/carts"
)

// SetListBudgets sets the rows a list may read to fill a page (scanBudget) and to
// count past it (countBudget), so that a test reaches them with hundreds of rows.
func (s *Store) SetListBudgets(scan, count int) { s.budgets = listBudgets{scan: scan, count: count} }

// DeleteCartAsRead is the transaction action a checkout deletes its cart with.
func (s *Store) DeleteCartAsRead(c *carts.Cart) (types.TransactWriteItem, error) {
	return s.deleteCartAsRead(c)
}
