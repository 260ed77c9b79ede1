package console

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestBundleUpToDate rebuilds the console from console/src (node console/build.mjs, with
// the esbuild of node_modules, into a temporary folder) and holds the embedded files to
// it byte for byte: a change to the sources without a rebuild, or a stale bundle left
// behind, fails here rather than shipping an old console.
func TestBundleUpToDate(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "esbuild", "package.json")); err != nil {
		t.Fatal("esbuild is not installed (node_modules/esbuild): run `make deps`")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on the PATH: the console is built with Node.js (see README)")
	}
	out := t.TempDir()
	cmd := exec.Command(node, filepath.Join("console", "build.mjs"), out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node console/build.mjs: %v\n%s", err, b)
	}

	built := map[string][]byte{}
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		built[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	embedded := map[string][]byte{}
	err = fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		embedded[p[len("static/"):]], err = fs.ReadFile(files, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	const fix = "run `npm run build:console` (node console/build.mjs) and commit pkg/console/static"
	for _, name := range sortedKeys(built) {
		if got, ok := embedded[name]; !ok {
			t.Errorf("pkg/console/static lacks %s, which the sources build: %s", name, fix)
		} else if !bytes.Equal(got, built[name]) {
			t.Errorf("pkg/console/static/%s is not what the sources build: %s", name, fix)
		}
	}
	for _, name := range sortedKeys(embedded) {
		if _, ok := built[name]; !ok {
			t.Errorf("pkg/console/static/%s is not built from the sources (a stale bundle?): %s", name, fix)
		}
	}
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
