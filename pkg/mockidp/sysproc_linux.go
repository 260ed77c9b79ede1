package mockidp

import "syscall"

// sysProcAttr puts node in its own process group (so Stop can kill it and its children)
// and asks the kernel to kill it if this process dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
