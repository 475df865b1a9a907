package harness

import (
	"context"
	"encoding/json"
	"net"
	"net/http"

	"github.com/coder/websocket"
	. "github.com/onsi/ginkgo/v2"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// WebSocket is a WebSocket a spec opened through a Gateway to an
// upstream that echoes: First is what the upstream saw of the upgrade.
type WebSocket struct {
	Conn  *websocket.Conn
	First *upstream.Observation
}

// DialWebSocket opens a WebSocket through gateway to path (ws://, as a
// client of an HTTP listener does) and reads the upstream's first
// message, its Observation of the upgrade. It needs the harness's own
// prober: with probes sent from a pod of the cluster it skips, saying so.
// The error is the handshake's or the first read's: an implementation
// that refuses the upgrade fails there.
func (s *T) DialWebSocket(ctx context.Context, gateway, path string) (*WebSocket, error) {
	if s.h.Prober != nil {
		Skip("a WebSocket is opened from xbcheck's own process, and this run reaches Gateways from a pod of the cluster, whose probe sends plain requests only")
	}
	ctx, cancel := context.WithTimeout(ctx, s.h.Timeouts.Request)
	defer cancel()
	d := &net.Dialer{Control: guardDial}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext}}
	c, _, err := websocket.Dial(ctx, "ws://"+gateway+path, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		return nil, err
	}
	_, first, err := c.Read(ctx)
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	ws := &WebSocket{Conn: c}
	if json.Unmarshal(first, &ws.First) != nil {
		ws.First = nil
	}
	DeferCleanup(func() { c.CloseNow() })
	return ws, nil
}

// Echo sends text and returns what comes back.
func (w *WebSocket) Echo(ctx context.Context, text string) (string, error) {
	if err := w.Conn.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		return "", err
	}
	_, got, err := w.Conn.Read(ctx)
	return string(got), err
}
