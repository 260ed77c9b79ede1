package secrets

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Local is Secrets Manager for `make local`: GetSecretValue and PutSecretValue, each secret a
// JSON file in a folder (the runner keeps them under .aws-sam/secrets/, generated on first
// run). The functions reach it through the same Client as in AWS; it does not check
// signatures, only that a request is signed.
type Local struct {
	dir string
	mu  sync.Mutex
	now func() time.Time
}

// NewLocal returns the secrets kept in dir, which the first write creates (readable by the
// owner alone).
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("secrets: a folder is needed")
	}
	return &Local{dir: dir, now: time.Now}, nil
}

// localName reports whether name is a plain secret name (no path in it).
func localName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// path is the file of the secret a SecretId names: a name, or an ARN whose last part is the name.
func (l *Local) path(id string) (string, error) {
	name := id[strings.LastIndexByte(id, ':')+1:]
	if !localName(name) {
		return "", &Error{Status: http.StatusBadRequest, Code: "ValidationException", Message: "bad secret id"}
	}
	return filepath.Join(l.dir, name+".json"), nil
}

func (l *Local) read(id string) (version, error) {
	var v version
	p, err := l.path(id)
	if err != nil {
		return v, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return v, &Error{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}
	}
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(b, &v)
}

// Put writes s as secret id's new version, as PutSecretValue does.
func (l *Local) Put(id string, s Set) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.write(id, s.Encode())
}

func (l *Local) write(id, value string) error {
	p, err := l.path(id)
	if err != nil {
		return err
	}
	// Versions of one secret must order: never two with one CreatedDate.
	created := float64(l.now().UnixMilli()) / 1e3
	if old, err := l.read(id); err == nil && created <= old.CreatedDate {
		created = old.CreatedDate + 0.001
	}
	b, _ := json.Marshal(version{SecretString: value, CreatedDate: created})
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Ensure creates secret id with value() unless it exists, and reports whether it did.
func (l *Local) Ensure(id string, value func() (string, error)) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.read(id); err == nil {
		return false, nil
	} else if e := (*Error)(nil); !errors.As(err, &e) || e.Code != "ResourceNotFoundException" {
		return false, err
	}
	v, err := value()
	if err != nil {
		return false, err
	}
	return true, l.write(id, v)
}

// ServeHTTP answers Secrets Manager's GetSecretValue and PutSecretValue.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) {
		e := &Error{Status: http.StatusInternalServerError, Code: "InternalServiceError", Message: err.Error()}
		errors.As(err, &e)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(&Error{Status: http.StatusForbidden, Code: "MissingAuthenticationTokenException", Message: "requests must be signed"})
		return
	}
	var in struct{ SecretId, SecretString string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		fail(&Error{Status: http.StatusBadRequest, Code: "SerializationException", Message: err.Error()})
		return
	}
	var out any
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager."); op {
	case "GetSecretValue":
		l.mu.Lock()
		v, err := l.read(in.SecretId)
		l.mu.Unlock()
		if err != nil {
			fail(err)
			return
		}
		out = map[string]any{"ARN": in.SecretId, "Name": in.SecretId[strings.LastIndexByte(in.SecretId, ':')+1:],
			"SecretString": v.SecretString, "CreatedDate": v.CreatedDate, "VersionId": fmt.Sprintf("%.3f", v.CreatedDate),
			"VersionStages": []string{"AWSCURRENT"}}
	case "PutSecretValue":
		l.mu.Lock()
		_, err := l.read(in.SecretId)
		if err == nil {
			err = l.write(in.SecretId, in.SecretString)
		}
		l.mu.Unlock()
		if err != nil {
			fail(err)
			return
		}
		out = map[string]any{"ARN": in.SecretId}
	default:
		fail(&Error{Status: http.StatusBadRequest, Code: "UnknownOperationException", Message: op + " is not served locally"})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// Generate returns n random characters of letters and digits, as Secrets Manager's
// GenerateSecretString with ExcludePunctuation makes them.
func Generate(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[randIndex(len(chars))]
	}
	return string(b)
}

func randIndex(n int) int {
	// Rejection sampling: no bias toward the first characters.
	limit := byte(256 - 256%n)
	var one [1]byte
	for {
		_, _ = rand.Read(one[:])
		if one[0] < limit {
			return int(one[0]) % n
		}
	}
}

// Get reads secret id as the functions do through Secrets Manager (tools that run beside
// the local functions, such as the event fixtures, read it directly).
func (l *Local) Get(_ context.Context, id string) (Set, error) {
	l.mu.Lock()
	v, err := l.read(id)
	l.mu.Unlock()
	if err != nil {
		return Set{}, err
	}
	return v.set(id)
}
