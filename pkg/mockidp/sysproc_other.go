//go:build unix && !linux

package mockidp

import "syscall"

// sysProcAttr puts node in its own process group so Stop can kill it and its children.
// Without Pdeathsig, node still exits when this process dies: its stdin pipe closes.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
