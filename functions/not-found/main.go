// Command not-found is the Lambda function of the HTTP API's $default route (see template.yaml).
package main

import (
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/handlers"
)

func main() { app.Start(handlers.NotFound) }
