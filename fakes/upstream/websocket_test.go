package upstream

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestWebSocketOverTLSIsObservedThenEchoed upgrades over TLS (ALPN
// or none: HTTP/1.1, as a WSS client does): the first message is the Observation
// of the handshake, logged before the upgrade, and every message after it
// comes back unchanged.
func TestWebSocketOverTLSIsObservedThenEchoed(t *testing.T) {
	ca := newCA(t, "ws")
	srv := start(t, Config{Hostname: hostname, TLS: TLSValid, Authority: ca, Protocols: []Protocol{HTTP1}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: hostname, RootCAs: ca.Pool(), NextProtos: []string{"http/1.1"}}}}
	c, resp, err := websocket.Dial(ctx, "wss://"+srv.Addr().String()+"/chat", &websocket.DialOptions{HTTPClient: client, Host: hostname})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	if resp.Header.Get(TokenHeader) != srv.Token() {
		t.Errorf("handshake response token %q", resp.Header.Get(TokenHeader))
	}
	_, first, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var obs Observation
	if err := json.Unmarshal(first, &obs); err != nil {
		t.Fatalf("first message %q: %v", first, err)
	}
	if obs.Upgrade != "websocket" || obs.SNI != hostname || obs.Protocol != "HTTP/1.1" || obs.Path != "/chat" || obs.Token != srv.Token() {
		t.Errorf("observation %+v", obs)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("ping 1")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "ping 1" {
		t.Errorf("echo %q, %v", got, err)
	}
	logged := waitEvent(t, srv, "the upgrade request", func(e Event) bool {
		return e.Kind == KindRequest && e.Observation.Upgrade == "websocket"
	})
	if logged.SNI != hostname {
		t.Errorf("logged SNI %q", logged.SNI)
	}
	c.Close(websocket.StatusNormalClosure, "")
}
