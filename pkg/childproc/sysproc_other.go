//go:build unix && !linux

package childproc

import "syscall"

// SysProcAttr puts a child in its own process group, so that stopping it can kill it and
// its children.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
