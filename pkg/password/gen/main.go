// Command gen writes pkg/password/common.txt.gz from SecLists' password lists (see
// common.go for the source), which are not in this repository. From the repository's root:
//
//	go run ./pkg/password/gen -n 20000 -o pkg/password/common.txt.gz \
//		10-million-password-list-top-10000.txt xato-net-10-million-passwords-100000.txt
//
// It keeps the passwords our policy would accept (8 to 72 bytes), lower-cased, each once,
// the first n in the order given (the lists are most common first), and writes them sorted
// (one a line), so that a regenerated file differs only where the sources do.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"log"
	"os"
	"slices"
	"strings"
)

func main() {
	n := flag.Int("n", 20000, "how many passwords to keep")
	out := flag.String("o", "common.txt.gz", "output file")
	flag.Parse()
	seen := map[string]bool{}
	var keep []string
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() && len(keep) < *n {
			p := strings.ToLower(strings.TrimRight(sc.Text(), "\r"))
			if len(p) < 8 || len(p) > 72 || seen[p] {
				continue
			}
			seen[p] = true
			keep = append(keep, p)
		}
		if err := sc.Err(); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	slices.Sort(keep)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	// The header (a gzip member's comment) says where the data came from.
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		log.Fatal(err)
	}
	zw.Comment = "common passwords from danielmiessler/SecLists (MIT): see pkg/password/common.go"
	if _, err := zw.Write([]byte(strings.Join(keep, "\n") + "\n")); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d passwords", len(keep))
}
