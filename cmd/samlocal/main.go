// Command samlocal runs the service locally without Docker, the way `sam local` would:
//
//	samlocal start-api                      DynamoDB Local + every HttpApi route on 127.0.0.1:$PORT,
//	                                        and a mock OpenID Connect provider (pkg/mockidp)
//	samlocal invoke <LogicalId> <event.json> one function with one event (- reads stdin)
//	samlocal exec -- <command...>           a command with DYNAMODB_ENDPOINT set to a fresh DynamoDB Local
//
// Environment: PORT (3000), DYNAMODB_ENDPOINT (use it instead of starting DynamoDB Local),
// DYNAMODB_PORT (8000), TABLE_NAME (customers), FUNCTION_CONCURRENCY (8), the template
// parameters CLIENT_ID, BCRYPT_COST, CORS_ALLOW_ORIGINS, the client secret CLIENT_SECRET
// (the other secrets are generated in SAMLOCAL_SECRETS_DIR, .aws-sam/secrets). For
// start-api's mock identity provider: MOCK_IDP (0: none), MOCK_IDP_PORT (any free port),
// MOCK_IDP_CLIENT_ID (local-storefront-sso), MOCK_IDP_CLIENT_SECRET (local-sso-secret).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  samlocal start-api [-t template.yaml] [-b build-dir]
  samlocal invoke [-t template.yaml] [-b build-dir] <LogicalId> <event.json|->
  samlocal exec -- <command> [args...]
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "start-api":
		return report(stderr, startAPI(ctx, args[1:], stdout, stderr))
	case "invoke":
		return invoke(ctx, args[1:], stdin, stdout, stderr)
	case "exec":
		return execCommand(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "samlocal: unknown command %q\n%s", args[0], usage)
	return 2
}

func report(stderr io.Writer, err error) int {
	if err != nil {
		fmt.Fprintln(stderr, "samlocal:", err)
		return 1
	}
	return 0
}
