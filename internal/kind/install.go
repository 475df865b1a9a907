package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// installGrace is how long the install command's processes get between
// SIGTERM and SIGKILL when the run is interrupted.
const installGrace = 5 * time.Second

// RunInstall runs command by /bin/sh -c in the current folder with
// KUBECONFIG=kubeconfig, its output (stdout and stderr) written to logPath
// (its folder is made). It returns when the command ends; when ctx ends
// first, the command's whole process group gets SIGTERM, then SIGKILL.
// Its error is one line: how the command ended, where its log is and the
// log's last line.
func RunInstall(ctx context.Context, command, kubeconfig, logPath string) error {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fmt.Errorf("--install-cmd: create the folder of its log: %w", err)
	}
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("--install-cmd: create its log: %w", err)
	}
	defer log.Close()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	// A group of its own: a Ctrl-C at the terminal reaches xbcheck, which
	// ends the command and everything it started, in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("--install-cmd: start /bin/sh: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pgid := cmd.Process.Pid
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(installGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		return fmt.Errorf("--install-cmd interrupted after %s: %w", round(time.Since(begin)), ctx.Err())
	}
	// Whatever the command left running in its group ends with it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if err == nil {
		return nil
	}
	_ = log.Sync()
	how := err.Error()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		how = exit.ProcessState.String()
	}
	last := "(no output)"
	if b, rerr := os.ReadFile(logPath); rerr == nil && len(bytes.TrimSpace(b)) > 0 {
		last = fmt.Sprintf("%q", lastLine(string(b)))
	}
	return fmt.Errorf("--install-cmd failed (%s after %s); its output is in %s, ending %s; fix the command (run by /bin/sh -c in the current folder, with KUBECONFIG set)", how, round(time.Since(begin)), logPath, last)
}
