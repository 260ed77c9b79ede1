//go:build unix && !linux

package dynamolocal

import "syscall"

// sysProcAttr puts java in its own process group so Stop can kill it and its children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
