package store

// SetListBudgets sets the rows a list may read to fill a page (scanBudget) and to
// count past it (countBudget), so that a test reaches them with hundreds of rows.
func (s *Store) SetListBudgets(scan, count int) { s.budgets = listBudgets{scan: scan, count: count} }
