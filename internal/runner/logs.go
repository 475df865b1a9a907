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

// componentLogs sends the logs of controller-runtime, client-go (klog) and
// the reference gateway to w, and returns the gateway's logger. Without it
// controller-runtime complains, with a stack dump, that nobody set one.
func componentLogs(w io.Writer) *slog.Logger {
	l := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctrllog.SetLogger(logr.FromSlogHandler(l.Handler()))
	klog.SetSlogLogger(l)
	return l
}

// laterLogs is where the components log before the report folder exists:
// nowhere until set, then the folder's LogFile. A run sets the loggers up
// before the provider starts the cluster, which may use controller-runtime
// more than 30 s into the process (CRDs installed after a kind create):
// unset by then, controller-runtime prints a stack dump.
type laterLogs struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *laterLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}

// set sends what follows to w; nil discards it again.
func (l *laterLogs) set(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
}
