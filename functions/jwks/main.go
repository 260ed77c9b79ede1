// Command jwks is the Lambda function for one endpoint (see template.yaml).
package main

import (
	"github.com/acme/customers/pkg/app"
	"github.com/acme/customers/pkg/handlers"
)

func main() { app.Start(handlers.JWKS) }
