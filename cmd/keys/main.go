// Command keys rotates the deployment's secrets: the token signing keys, the client secret
// and the sealing keys. Each rotation is three steps, each a new version of the secret:
//
//	go run ./cmd/keys introduce <secret>   # a new value, accepted and published, not yet used
//	go run ./cmd/keys promote <secret>     # the new value is used; the old one still accepted
//	go run ./cmd/keys retire <secret>      # the old value is no longer accepted
//	go run ./cmd/keys status <secret>      # which step the secret is at (no value shown)
//
// <secret> is the secret's name or ARN (the stack's outputs list them). It talks to Secrets
// Manager with the standard AWS settings; with -local it changes `make local`'s secrets
// (.aws-sam/secrets/, by the template's logical id, e.g. AccessTokenKeys). The steps wait
// for every process to have seen the version before (-force skips the check): see the
// README, "Rotating keys and secrets".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/secrets"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keys:", err)
		os.Exit(1)
	}
}

// store is where the secrets are: Secrets Manager or the local folder.
type store interface {
	Get(ctx context.Context, id string) (secrets.Set, error)
	Put(ctx context.Context, id string, s secrets.Set) error
}

type localStore struct{ *secrets.Local }

func (l localStore) Put(_ context.Context, id string, s secrets.Set) error { return l.Local.Put(id, s) }

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	local := fs.Bool("local", false, "change make local's secrets (.aws-sam/secrets) instead of Secrets Manager's")
	force := fs.Bool("force", false, "take the step without waiting for the version before to reach every process")
	show := fs.Bool("show", false, "print the new value that introduce made (for the client secret, which the storefront's backend needs)")
	waitPromote := fs.Duration("wait-promote", secrets.TokenWaits.Promote, "how old the introduction must be before promote")
	waitRetire := fs.Duration("wait-retire", secrets.TokenWaits.Retire, "how old the promotion must be before retire")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: keys [flags] introduce|promote|retire|status <secret name or ARN>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("want a step and a secret")
	}
	step, id := secrets.Step(fs.Arg(0)), fs.Arg(1)
	var st store
	if *local {
		root, err := dynamolocal.ModuleRoot()
		if err != nil {
			return err
		}
		l, err := secrets.NewLocal(filepath.Join(root, ".aws-sam", "secrets"))
		if err != nil {
			return err
		}
		st = localStore{l}
	} else {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		st = secrets.NewClient(cfg, os.Getenv(secrets.EndpointEnv))
	}
	cur, err := st.Get(ctx, id)
	if err != nil {
		return err
	}
	if step == "status" {
		fmt.Println(status(cur))
		return nil
	}
	w := secrets.Waits{Promote: *waitPromote, Retire: *waitRetire}
	if *force {
		w = secrets.Waits{}
	}
	fresh := secrets.Generate(64)
	next, err := secrets.Rotate(cur, step, fresh, time.Now(), w)
	if err != nil {
		return err
	}
	if err := st.Put(ctx, id, next); err != nil {
		return err
	}
	fmt.Printf("%s: %s done; now %s\n", id, step, status(next))
	if step == secrets.Introduce && *show {
		fmt.Println(fresh)
	}
	return nil
}

// status says where a secret stands without showing a value.
func status(s secrets.Set) string {
	switch {
	case len(s.Others) == 0:
		return "one value (no rotation under way)"
	case s.Created.IsZero():
		return fmt.Sprintf("%d other value(s) accepted besides the current one", len(s.Others))
	}
	return fmt.Sprintf("%d other value(s) accepted besides the current one, since %s", len(s.Others), s.Created.Format(time.RFC3339))
}
