// Command cleanup-deleted-customers is the scheduled function that erases deleted
// customers (see template.yaml and pkg/cleanup).
package main

import (
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/cleanup"
)

func main() { app.StartScheduled(cleanup.Handler) }
