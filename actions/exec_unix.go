//go:build unix

package actions

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killGroup runs cmd in its own process group and makes its cancellation
// kill the whole group, so that a timeout also ends what the program
// started (a shell's children).
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone // it ended on its own as the timeout came
		}
		return err
	}
}
