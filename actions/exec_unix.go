//go:build unix

package actions

import (
	"os/exec"
	"syscall"
)

// killGroup runs cmd in its own process group and makes its cancellation
// kill the whole group, so that a timeout also ends what the program
// started (a shell's children).
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
