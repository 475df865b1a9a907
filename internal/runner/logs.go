package runner

import (
	"io"
	"log/slog"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// LogFile is the file of a report folder that receives the logs of the
// in-process components: the reference gateway, controller-runtime and
// client-go.
const LogFile = "xbcheck.log"

// ComponentLogs is where the in-process components log: controller-runtime,
// client-go (klog) and the reference gateway. Their loggers are the
// process's own, so a process installs them once (InstallComponentLogs),
// and each run points them at its report folder: a second install would
// write them while goroutines of an earlier run's gateway, ending, still
// read them.
//
// A run points them there before the provider starts the cluster, which
// may use controller-runtime more than 30 s into the process (CRDs
// installed after a kind create): unset by then, controller-runtime prints
// a stack dump. Until the report folder exists, what they log is dropped.
type ComponentLogs struct {
	mu      sync.Mutex
	w       io.Writer
	gateway *slog.Logger
}

// InstallComponentLogs makes controller-runtime and klog log to the
// returned ComponentLogs, which drops what it gets until set.
func InstallComponentLogs() *ComponentLogs {
	l := &ComponentLogs{}
	l.gateway = install(l)
	return l
}

// install sends the logs of controller-runtime and client-go to w, and
// returns a logger for the reference gateway writing there too.
func install(w io.Writer) *slog.Logger {
	l := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctrllog.SetLogger(logr.FromSlogHandler(l.Handler()))
	klog.SetSlogLogger(l)
	return l
}

func (l *ComponentLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}

// set sends what follows to w; nil discards it again.
func (l *ComponentLogs) set(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
}
