package implementation

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Environment variables an implementation under test receives. The
// reference gateway (`xbcheck gateway`) reads them as flag defaults.
const (
	EnvKubeconfig       = "KUBECONFIG"
	EnvGatewayAddresses = "XBCHECK_GATEWAY_ADDRESSES"
	EnvDNSServer        = "XBCHECK_DNS_SERVER"
	EnvGuardrailAllow   = "XBCHECK_GUARDRAIL_ALLOW"
	EnvControllerName   = "XBCHECK_CONTROLLER_NAME"
	// EnvSystemRoots is Go's and OpenSSL's variable for the file of trusted
	// root certificates: the run points it at a bundle holding its test CA,
	// so that "the system CAs" is a trust store xbcheck knows.
	EnvSystemRoots = "SSL_CERT_FILE"
)

// Options describe the process to run.
type Options struct {
	// Command is run by /bin/sh -c.
	Command string
	// Env is added to this process's environment.
	Env map[string]string
	// LogPath receives the process's stdout and stderr.
	LogPath string
	// Grace is how long SIGTERM is given before SIGKILL; default 10s.
	Grace time.Duration
}

// Process is a running implementation.
type Process struct {
	cmd     *exec.Cmd
	log     *os.File
	logPath string
	grace   time.Duration
	done    chan struct{}
	waitErr error
	stopped sync.Once
}

// Start starts the command in a process group of its own, so Stop reaches
// every process it starts.
func Start(o Options) (*Process, error) {
	if strings.TrimSpace(o.Command) == "" {
		return nil, errors.New("--implementation-cmd is empty; give the command that runs your implementation")
	}
	if o.Grace == 0 {
		o.Grace = 10 * time.Second
	}
	log, err := os.Create(o.LogPath)
	if err != nil {
		return nil, fmt.Errorf("implementation log %s: %w", o.LogPath, err)
	}
	cmd := exec.Command("/bin/sh", "-c", o.Command)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = os.Environ()
	for k, v := range o.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start --implementation-cmd %q: %w", o.Command, err)
	}
	p := &Process{cmd: cmd, log: log, logPath: o.LogPath, grace: o.Grace, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited is closed when the process ended.
func (p *Process) Exited() <-chan struct{} { return p.done }

// ExitError describes an early exit with the last lines of the log.
func (p *Process) ExitError() error {
	return fmt.Errorf("the implementation exited early (%v); last lines of %s:\n%s", p.waitErr, p.logPath, p.Tail(20))
}

// Tail returns the last n lines of the log.
func (p *Process) Tail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Stop sends SIGTERM to the process group, SIGKILL after the grace period,
// and waits for the process.
func (p *Process) Stop() error {
	p.stopped.Do(func() {
		defer p.log.Close()
		pgid := -p.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(p.grace):
			_ = syscall.Kill(pgid, syscall.SIGKILL)
			<-p.done
		}
	})
	return nil
}
