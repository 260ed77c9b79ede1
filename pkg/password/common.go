// Package password holds the list of common passwords that sign-up and password changes
// refuse (ASVS 5.0 6.2.4: at least the 3,000 most common passwords that meet the policy).
//
// common.txt.gz holds the 20,000 most common passwords of 8 to 72 bytes, lower-cased, one
// a line, sorted. They come from SecLists (https://github.com/danielmiessler/SecLists, MIT
// licence, Copyright (c) 2018 Daniel Miessler), Passwords/Common-Credentials/:
// 10-million-password-list-top-10000.txt at commit
// 74d9d3259d82c441c1217104cb7debd5912178b6, then xato-net-10-million-passwords-100000.txt
// at commit c205c36a445bff37f8e58a9ec829105cd4975c58 (both ranked most common first),
// through gen/main.go. Only the data is here, none of SecLists' code.
package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"strings"
	"sync"
)

// The list is compressed (60 KB instead of 200) because every function that can set a
// password carries it in its binary.
//
//go:embed common.txt.gz
var commonGz []byte

// commonSet is read on first use, not at start-up: only sign-up and password changes need
// it, and the functions that never call Common do not link it at all (no package-level
// initialiser refers to it, so the linker can drop it).
var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

// Common reports whether p is on the list of common passwords. The comparison ignores
// case: the list is lower-case, and "Password123" is tried by every guesser right after
// "password123", so accepting it would defeat the list.
func Common(p string) bool {
	commonOnce.Do(func() { commonSet = load(commonGz) })
	_, ok := commonSet[strings.ToLower(p)]
	return ok
}

// load reads the compressed list. The list is part of the binary and its tests read it, so
// a failure here is a broken build: it panics rather than let every password through.
func load(gz []byte) map[string]struct{} {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		panic("password: common.txt.gz: " + err.Error())
	}
	text, err := io.ReadAll(r)
	if err != nil {
		panic("password: common.txt.gz: " + err.Error())
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	set := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		set[l] = struct{}{}
	}
	return set
}
