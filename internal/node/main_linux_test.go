package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/roletest"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// The test binary plays every role: the test process (outside), the node
// sandbox's parent and program (roles "cluster" and "hold"), and the
// programs of the pods the scenario runs ("serve", "client"), as the
// image ExecutableImage makes of it.
func TestMain(m *testing.M) {
	roletest.Main(m, map[string]func() int{
		"serve":   serve,
		"client":  client,
		"cluster": func() int { return inNode(scenario) },
		"hold":    func() int { return inNode(hold) },
	})
}

// inNode prepares a node, enters its sandbox and runs f there.
func inNode(f func(context.Context, Assets) int) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	assets, err := Prepare(ctx, os.Stderr, binaries.ModeAuto)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	handled, code, err := sandbox.Run(SandboxOptions(ctx))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if handled {
		return code
	}
	return f(ctx, assets)
}

// serve answers every HTTP request with this pod's name: the backend of
// the scenario's Service.
func serve() int {
	host, _ := os.Hostname()
	err := http.ListenAndServe(":8080", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, host)
	}))
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// clientReport is what the client pod found, printed as its log.
type clientReport struct {
	// Pods is how many pods its service account could list.
	Pods    int    `json:"pods"`
	ListErr string `json:"listErr,omitempty"`
	// SecretsForbidden is whether RBAC refused what it was not granted.
	SecretsForbidden bool     `json:"secretsForbidden"`
	Resolved         []string `json:"resolved"`
	ResolveErr       string   `json:"resolveErr,omitempty"`
	// Stub is what a name of the stub zone resolved to.
	Stub    []string `json:"stub"`
	StubErr string   `json:"stubErr,omitempty"`
	// Answer is what the Service answered over HTTP (a backend's name).
	Answer  string `json:"answer"`
	HTTPErr string `json:"httpErr,omitempty"`
}

// client lists pods through the kubernetes Service with its service
// account, resolves the echo Service by its short name through CoreDNS and
// calls it, resolves a name of the stub zone, and prints what happened as
// one JSON line.
func client() int {
	var r clientReport
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := rest.InClusterConfig()
	if err == nil {
		var cs *kubernetes.Clientset
		if cs, err = kubernetes.NewForConfig(cfg); err == nil {
			ns := os.Getenv("POD_NAMESPACE")
			var pods int
			if list, lerr := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); lerr == nil {
				pods = len(list.Items)
			} else {
				err = lerr
			}
			r.Pods = pods
			_, serr := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
			r.SecretsForbidden = serr != nil && (apiStatus(serr) == 403)
		}
	}
	if err != nil {
		r.ListErr = err.Error()
	}
	if r.Resolved, err = net.DefaultResolver.LookupHost(ctx, "echo"); err != nil {
		r.ResolveErr = err.Error()
	}
	if r.Stub, err = net.DefaultResolver.LookupHost(ctx, "upstream.xbcheck.test"); err != nil {
		r.StubErr = err.Error()
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if resp, err := hc.Get("http://echo/"); err != nil {
		r.HTTPErr = err.Error()
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.Answer = string(b)
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	return 0
}

// apiStatus returns the HTTP status code of an API error, or 0.
func apiStatus(err error) int32 {
	type statusErr interface{ Status() metav1.Status }
	if s, ok := err.(statusErr); ok {
		return s.Status().Code
	}
	return 0
}
