package samlocal

import "syscall"

// sysProcAttr puts a bootstrap in its own process group (so it can be killed with its children)
// and asks the kernel to kill it if this process dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
