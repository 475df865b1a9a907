package runner

import (
	"io"
	"log/slog"

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
