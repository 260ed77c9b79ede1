// Command echo is a test Lambda for the samlocal runner: it answers with the event it
// received, its process id and environment, and misbehaves on request (by path).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func main() {
	if os.Getenv("ECHO_EXIT_AT_INIT") != "" {
		os.Stderr.WriteString("echo: exiting during init\n")
		os.Exit(4)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (json.RawMessage, error) {
	os.Stdout.WriteString("echo: " + ev.RawPath + "\n")
	path := ev.RawPath
	if strings.HasPrefix(path, "/any/") {
		path = "/" + strings.TrimPrefix(path, "/any/")
	}
	if ms, err := strconv.Atoi(ev.QueryStringParameters["sleep"]); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	switch path {
	case "/crash":
		os.Exit(3)
	case "/error":
		return nil, errors.New("boom")
	case "/invalid":
		return json.RawMessage(`{"statusCode":"nope"}`), nil
	case "/plain":
		return json.RawMessage(`{"hello":"world"}`), nil
	case "/binary":
		return marshal(events.APIGatewayV2HTTPResponse{
			StatusCode:      201,
			Headers:         map[string]string{"Content-Type": "application/octet-stream", "Access-Control-Allow-Origin": "https://evil.test"},
			Body:            base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0xfe}),
			IsBase64Encoded: true,
		})
	case "/cookies":
		return marshal(events.APIGatewayV2HTTPResponse{
			StatusCode:        200,
			Headers:           map[string]string{"X-One": "1"},
			MultiValueHeaders: map[string][]string{"X-Many": {"a", "b"}},
			Cookies:           []string{"a=1; Path=/", "b=2"},
			Body:              "cookies",
		})
	}

	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	body, err := json.Marshal(map[string]any{
		"event":       ev,
		"pid":         os.Getpid(),
		"env":         env,
		"requestId":   lc.AwsRequestID,
		"functionArn": lc.InvokedFunctionArn,
		"deadlineMs":  deadline.UnixMilli(),
	})
	if err != nil {
		return nil, err
	}
	return marshal(events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Pid": strconv.Itoa(os.Getpid())},
		Body:       string(body),
	})
}

func marshal(v any) (json.RawMessage, error) { return json.Marshal(v) }
