package childproc

import "syscall"

// SysProcAttr puts a child in its own process group (so that stopping it can kill it and
// its children) and asks the kernel to kill it if this process dies first.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
