package secrets

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// localAt returns a Local in a new folder whose clock reads *now.
func localAt(t *testing.T, now *time.Time) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return *now }
	return l
}

func TestNewLocal(t *testing.T) {
	if _, err := NewLocal(""); err == nil {
		t.Error("no folder was accepted")
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is made before the first write, and a missing folder holds no secret.
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("NewLocal made the folder: %v", err)
	}
	if _, err := l.Get(ctx, "keys"); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("Get in a missing folder: %v", err)
	}
	if err := l.Put("keys", Set{Current: val1}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("the folder: %v, %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "keys.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file: %v, %v", fi, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	l, err = NewLocal(filepath.Join(file, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put("keys", Set{Current: val1}); err == nil {
		t.Error("a folder under a file")
	}
	// A folder that cannot be written.
	ro := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(ro, 0o500)
	l, _ = NewLocal(ro)
	if err := l.Put("keys", Set{Current: val1}); err == nil && os.Geteuid() != 0 {
		t.Error("a read-only folder")
	}
}

func TestLocalEnsure(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	l := localAt(t, &now)
	calls := 0
	value := func() (string, error) { calls++; return Set{Current: val1}.Encode(), nil }
	created, err := l.Ensure("client-secret", value)
	if err != nil || !created || calls != 1 {
		t.Fatalf("Ensure = %v, %v after %d calls", created, err, calls)
	}
	fi, err := os.Stat(filepath.Join(l.dir, "client-secret.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file: %v, %v", fi, err)
	}
	s, err := l.Get(ctx, "client-secret")
	if err != nil || s.Current != val1 || !s.Created.Equal(now) {
		t.Errorf("Get = %+v, %v; want created %v", s, err, now)
	}
	// It exists: nothing is made or written.
	created, err = l.Ensure("client-secret", value)
	if err != nil || created || calls != 1 {
		t.Errorf("Ensure again = %v, %v after %d calls", created, err, calls)
	}
	// The value's failure is Ensure's, and creates nothing.
	boom := errors.New("no randomness")
	if created, err := l.Ensure("other", func() (string, error) { return "", boom }); !errors.Is(err, boom) || created {
		t.Errorf("a failing value: %v, %v", created, err)
	}
	if _, err := os.Stat(filepath.Join(l.dir, "other.json")); !os.IsNotExist(err) {
		t.Errorf("a failing value left a file: %v", err)
	}
	// A bad id is refused before anything.
	if _, err := l.Ensure("../escape", value); !isCode(err, "ValidationException") || calls != 1 {
		t.Errorf("a bad id: %v", err)
	}
	// A secret that cannot be read is not made again over it.
	os.WriteFile(filepath.Join(l.dir, "broken.json"), []byte("{"), 0o600)
	if created, err := l.Ensure("broken", value); err == nil || created {
		t.Errorf("an unreadable secret: %v, %v", created, err)
	}
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Versions of one secret always order, even written within one millisecond or with the
// clock going back.
func TestLocalPutOrdersVersions(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	l := localAt(t, &now)
	created := func() time.Time {
		t.Helper()
		s, err := l.Get(ctx, "keys")
		if err != nil {
			t.Fatal(err)
		}
		return s.Created
	}
	if err := l.Put("keys", Set{Current: val1}); err != nil {
		t.Fatal(err)
	}
	c1 := created()
	if !c1.Equal(now) {
		t.Errorf("first version created %v, want %v", c1, now)
	}
	l.Put("keys", Set{Current: val2, Others: []string{val1}})
	c2 := created()
	if !c2.Equal(c1.Add(time.Millisecond)) {
		t.Errorf("a second version within the millisecond: %v, want %v", c2, c1.Add(time.Millisecond))
	}
	now = now.Add(-time.Hour)
	l.Put("keys", Set{Current: val2})
	c3 := created()
	if !c3.Equal(c2.Add(time.Millisecond)) {
		t.Errorf("the clock gone back: %v, want %v", c3, c2.Add(time.Millisecond))
	}
	now = now.Add(2 * time.Hour)
	l.Put("keys", Set{Current: val3})
	if c4 := created(); !c4.Equal(now) {
		t.Errorf("the clock past the last version: %v, want %v", c4, now)
	}
	for range 50 {
		before := created()
		l.Put("keys", Set{Current: val1})
		if after := created(); !after.After(before) {
			t.Fatalf("%v is not after %v", after, before)
		}
	}
	if s, _ := l.Get(ctx, "keys"); s.Current != val1 {
		t.Errorf("the last version is %+v", s)
	}
	if err := l.Put("a/b", Set{Current: val1}); !isCode(err, "ValidationException") {
		t.Errorf("Put of a bad id: %v", err)
	}
	// No temporary file stays behind.
	entries, _ := os.ReadDir(l.dir)
	if len(entries) != 1 {
		t.Errorf("files: %v", entries)
	}
}

func TestLocalGet(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	l := localAt(t, &now)
	l.Put("keys", Set{Current: val1})
	for _, id := range []string{"keys", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys"} {
		if s, err := l.Get(ctx, id); err != nil || s.Current != val1 {
			t.Errorf("Get(%s) = %+v, %v", id, s, err)
		}
	}
	if _, err := l.Get(ctx, "missing"); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("a missing secret: %v", err)
	}
	l.Ensure("malformed", func() (string, error) { return "not json", nil })
	if _, err := l.Get(ctx, "malformed"); !errors.Is(err, errMalformed) || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("a malformed secret: %v", err)
	}
	os.WriteFile(filepath.Join(l.dir, "broken.json"), []byte("{"), 0o600)
	if _, err := l.Get(ctx, "broken"); err == nil || errors.Is(err, errMalformed) {
		t.Errorf("an unreadable file: %v", err)
	}
	os.Mkdir(filepath.Join(l.dir, "folder.json"), 0o700)
	if _, err := l.Get(ctx, "folder"); err == nil || isCode(err, "ResourceNotFoundException") {
		t.Errorf("a folder in the place of the file: %v", err)
	}
}

func TestLocalName(t *testing.T) {
	for name, ok := range map[string]bool{
		"keys": true, "Access-Token_Keys-2": true, strings.Repeat("a", 128): true, "az": true, "AZ09": true,
		"": false, strings.Repeat("a", 129): false, "../x": false, "a/b": false, `a\b`: false, "..": false, ".": false,
		"a.json": false, "a b": false, "a\x00": false, "é": false, "a:b": false, "~": false, "`": false, "@": false,
		"[": false, "{": false, "/": false, ":": false,
	} {
		if localName(name) != ok {
			t.Errorf("localName(%q) = %v", name, !ok)
		}
	}
}

// serve makes one request of l as Secrets Manager's JSON API is called.
func serve(l *Local, method, target, auth, body string) (*httptest.ResponseRecorder, map[string]any) {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	l.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w, out
}

const signed = "AWS4-HMAC-SHA256 Credential=AKID/20260304/eu-west-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=00"

func TestLocalServeHTTP(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 125_000_000, time.UTC)
	l := localAt(t, &now)
	l.Put("keys", Set{Current: val1})
	arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys"

	w, out := serve(l, "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"`+arn+`"}`)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("GetSecretValue: %d %s", w.Code, w.Body)
	}
	want := map[string]any{"ARN": arn, "Name": "keys", "SecretString": Set{Current: val1}.Encode(), "CreatedDate": 1772600767.125,
		"VersionId": "1772600767.125", "VersionStages": []any{"AWSCURRENT"}}
	if b, w := mustJSON(out), mustJSON(want); b != w {
		t.Errorf("GetSecretValue\n got %s\nwant %s", b, w)
	}

	now = now.Add(time.Second)
	w, out = serve(l, "POST", "secretsmanager.PutSecretValue", signed,
		`{"ClientRequestToken":"3f6b5e2c-1b1e-4a0e-9f3e-9b8e7c6d5a41","SecretId":"keys","SecretString":`+mustJSON(Set{Current: val2}.Encode())+`}`)
	if w.Code != 200 || out["ARN"] != "keys" {
		t.Fatalf("PutSecretValue: %d %s", w.Code, w.Body)
	}
	if s, err := l.Get(ctx, "keys"); err != nil || s.Current != val2 || !s.Created.Equal(now) {
		t.Errorf("after PutSecretValue: %+v, %v", s, err)
	}

	for _, tc := range []struct {
		name, method, target, auth, body string
		status                           int
		code                             string
	}{
		{"get of a missing secret", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"missing"}`, 400, "ResourceNotFoundException"},
		{"put of a missing secret", "POST", "secretsmanager.PutSecretValue", signed, `{"SecretId":"missing","SecretString":"x"}`, 400, "ResourceNotFoundException"},
		{"an unknown operation", "POST", "secretsmanager.DeleteSecret", signed, `{"SecretId":"keys"}`, 400, "UnknownOperationException"},
		{"another service", "POST", "DynamoDB_20120810.GetItem", signed, `{"SecretId":"keys"}`, 400, "UnknownOperationException"},
		{"no target", "POST", "", signed, `{"SecretId":"keys"}`, 400, "UnknownOperationException"},
		{"unsigned", "POST", "secretsmanager.GetSecretValue", "", `{"SecretId":"keys"}`, 403, "MissingAuthenticationTokenException"},
		{"another scheme", "POST", "secretsmanager.GetSecretValue", "Bearer x", `{"SecretId":"keys"}`, 403, "MissingAuthenticationTokenException"},
		{"the scheme alone", "POST", "secretsmanager.GetSecretValue", "AWS4-HMAC-SHA256", `{"SecretId":"keys"}`, 403, "MissingAuthenticationTokenException"},
		{"GET", "GET", "secretsmanager.GetSecretValue", signed, ``, 403, "MissingAuthenticationTokenException"},
		{"not JSON", "POST", "secretsmanager.GetSecretValue", signed, `SecretId=keys`, 400, "SerializationException"},
		{"a path in the id", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"../../etc/passwd"}`, 400, "ValidationException"},
		{"a path in the ARN", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"arn:aws:secretsmanager:eu-west-1:1:secret:../keys"}`, 400, "ValidationException"},
		{"a path put", "POST", "secretsmanager.PutSecretValue", signed, `{"SecretId":"../escape","SecretString":"x"}`, 400, "ValidationException"},
		{"an absolute path", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"/etc/passwd"}`, 400, "ValidationException"},
		{"an empty id", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":""}`, 400, "ValidationException"},
		{"an id ending in a colon", "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"keys:"}`, 400, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, out := serve(l, tc.method, tc.target, tc.auth, tc.body)
			if w.Code != tc.status || out["__type"] != tc.code || out["message"] == "" || out["message"] == nil {
				t.Errorf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if w.Header().Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
			}
		})
	}
	// Nothing was written outside the folder, nor any new file in it.
	entries, _ := os.ReadDir(l.dir)
	if len(entries) != 1 {
		t.Errorf("files: %v", entries)
	}
	if entries, _ := os.ReadDir(filepath.Dir(l.dir)); len(entries) != 1 {
		t.Errorf("files beside the folder: %v", entries)
	}
	if s, _ := l.Get(ctx, "keys"); s.Current != val2 {
		t.Errorf("the secret changed: %+v", s)
	}

	// An unreadable file is Secrets Manager's failure (500), not the caller's.
	os.WriteFile(filepath.Join(l.dir, "broken.json"), []byte("{"), 0o600)
	w, out = serve(l, "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"broken"}`)
	if w.Code != 500 || out["__type"] != "InternalServiceError" {
		t.Errorf("an unreadable file: %d %s", w.Code, w.Body)
	}
	// A body over 64 KiB is refused.
	w, out = serve(l, "POST", "secretsmanager.GetSecretValue", signed, `{"SecretId":"keys","x":"`+strings.Repeat("a", 1<<16)+`"}`)
	if w.Code != 400 || out["__type"] != "SerializationException" {
		t.Errorf("a big body: %d %s", w.Code, w.Body)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestLocalServesTheClient(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	l := localAt(t, &now)
	srv := httptest.NewServer(l)
	defer srv.Close()
	c := testClient(srv.URL)
	if _, err := c.Get(ctx, "keys"); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("a missing secret: %v", err)
	}
	if err := c.Put(ctx, "keys", Set{Current: val1}); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("put of a missing secret: %v", err)
	}
	l.Ensure("keys", func() (string, error) { return Set{Current: val1}.Encode(), nil })
	s, err := c.Get(ctx, "keys")
	if err != nil || s.Current != val1 || !s.Created.Equal(now) {
		t.Fatalf("Get = %+v, %v", s, err)
	}
	rotated := Set{Current: val2, Others: []string{val1}}
	if err := c.Put(ctx, "keys", rotated); err != nil {
		t.Fatal(err)
	}
	s, err = c.Get(ctx, "keys")
	if err != nil || s.Current != val2 || len(s.Others) != 1 || s.Others[0] != val1 || !s.Created.Equal(now.Add(time.Millisecond)) {
		t.Errorf("after Put: %+v, %v", s, err)
	}
	if _, err := c.Get(ctx, "../keys"); !isCode(err, "ValidationException") {
		t.Errorf("a path: %v", err)
	}
	// Through a Value: a missing secret is not a 503.
	v := NewValue(c, "missing", time.Hour, nil)
	if _, err := v.Get(ctx); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("Value of a missing secret: %v", err)
	}
}
