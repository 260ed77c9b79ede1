//go:build unix && !linux

package samlocal

import "syscall"

// sysProcAttr puts a bootstrap in its own process group so it can be killed with its children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
