package cleanup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/acme/customers/pkg/dynamolocal"
	"github.com/acme/customers/pkg/store"
	"github.com/acme/customers/pkg/testenv"
)

// A crash is a child process (this test binary, started with crashTableEnv set) that runs
// the cleanup on the parent's table and kills itself with SIGKILL, the way a Lambda
// sandbox dies, right after its crashAfterEnv-th BatchWriteItem was answered: mid-run, with
// other customers' calls in flight.
const (
	crashTableEnv = "CLEANUP_CRASH_TABLE"
	crashAfterEnv = "CLEANUP_CRASH_AFTER_BATCHES"
)

func TestMain(m *testing.M) {
	if table := os.Getenv(crashTableEnv); table != "" {
		os.Exit(crash(table))
	}
	testenv.Main(m)
}

// crash is the child: it only returns (and the parent fails) if the run ends before the
// kill.
func crash(table string) int {
	after, err := strconv.ParseInt(os.Getenv(crashAfterEnv), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 2
	}
	base, err := dynamolocal.Client(context.Background(), os.Getenv("DYNAMODB_ENDPOINT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 2
	}
	var batches atomic.Int64
	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("crash",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					if err == nil && middleware.GetOperationName(ctx) == "BatchWriteItem" && batches.Add(1) == after {
						syscall.Kill(os.Getpid(), syscall.SIGKILL)
						select {}
					}
					return out, md, err
				}), middleware.After)
		})
	})
	rep, err := New(store.New(client, table), 0).Run(context.Background(), time.Now().UTC())
	fmt.Fprintf(os.Stderr, "crash: the run ended before batch %d: %+v, %v\n", after, rep, err)
	return 3
}

// A run killed after a few batches leaves customers half-erased (tombstones kept); the
// next run finishes them, with nothing left and nothing else deleted.
func TestRunKilled(t *testing.T) {
	w := newWorld(t, 12, 2, 60, 3) // 63 rows a customer: three batches each
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashTableEnv+"="+w.db.Table, crashAfterEnv+"=7", "DYNAMODB_ENDPOINT="+testenv.Endpoint())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed: %v\n%s", err, out)
	}
	left, partial := 0, 0
	for _, id := range w.gone {
		if n := w.items(id); n > 0 {
			left++
			if n < 63+1 {
				partial++
			}
		}
	}
	t.Logf("killed after 7 batches: %d of %d customers left, %d of them half-erased", left, len(w.gone), partial)
	if left == len(w.gone) && partial == 0 || left == 0 {
		t.Fatalf("the kill left %d customers (%d half-erased): want it mid-run", left, partial)
	}
	rep := runUntilDone(t, New(w.s, 0), 1)
	if rep.CustomersErased != left {
		t.Errorf("the rerun erased %d customers, want the %d the kill left", rep.CustomersErased, left)
	}
	w.check()
}
