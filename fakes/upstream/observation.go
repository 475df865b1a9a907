package upstream

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// TokenHeader carries the server's token on every response, so a client can tell an
// upstream's answer apart from anything else even when the body is not shown.
const TokenHeader = "X-Xbcheck-Upstream"

// Handshake is what the TLS handshake showed. It is empty on a cleartext connection.
type Handshake struct {
	SNI                   string   `json:"sni,omitempty"`
	ALPNOffered           []string `json:"alpnOffered,omitempty"`
	ALPNNegotiated        string   `json:"alpnNegotiated,omitempty"`
	TLSVersion            string   `json:"tlsVersion,omitempty"` // "TLS1.2", "TLS1.3"
	ClientCertFingerprint string   `json:"clientCertFingerprint,omitempty"`
	ClientCertSubject     string   `json:"clientCertSubject,omitempty"`
	// Resumed is true when the client resumed an earlier session instead
	// of a full handshake: it saw no certificate this time.
	Resumed bool `json:"resumed,omitempty"`
}

// Observation is the JSON body of every response: what the upstream saw of the
// request and of the connection that carried it.
type Observation struct {
	Role       string `json:"role"`
	Token      string `json:"token"`
	Connection uint64 `json:"connection"`
	Handshake
	Protocol string `json:"protocol"` // "HTTP/1.1", "HTTP/2.0"
	// H2C is true when HTTP/2 began with the prior-knowledge preface rather than ALPN
	// h2: on a cleartext connection, or inside TLS with no ALPN.
	H2C        bool        `json:"h2c"`
	Host       string      `json:"host"`
	Method     string      `json:"method"`
	Path       string      `json:"path"` // as sent, query included
	Headers    http.Header `json:"headers"`
	BodyBytes  int64       `json:"bodyBytes"`
	LocalAddr  string      `json:"localAddr"`
	RemoteAddr string      `json:"remoteAddr"`
	// Upgrade is "websocket" when the request was a WebSocket handshake the
	// upstream accepted: it then sends this Observation as its first
	// message and echoes every message after it.
	Upgrade string `json:"upgrade,omitempty"`
}

// connInfo is what the server learnt about a connection before its first request.
// It is written by the connection's goroutine before HTTP serving starts, then only read.
type connInfo struct {
	id             uint64
	local, remote  string
	handshake      Handshake
	priorKnowledge bool
}

type connInfoKey struct{}

func withConnInfo(ctx context.Context, info *connInfo) context.Context {
	return context.WithValue(ctx, connInfoKey{}, info)
}

func handshakeOf(state tls.ConnectionState, offered []string, sni string) Handshake {
	h := Handshake{
		SNI:            sni,
		ALPNOffered:    offered,
		ALPNNegotiated: state.NegotiatedProtocol,
		TLSVersion:     strings.ReplaceAll(tls.VersionName(state.Version), " ", ""),
		Resumed:        state.DidResume,
	}
	if len(state.PeerCertificates) > 0 {
		h.ClientCertFingerprint = pki.Fingerprint(state.PeerCertificates[0])
		h.ClientCertSubject = state.PeerCertificates[0].Subject.String()
	}
	return h
}

// observe answers every request with the Observation of it, after logging it, so
// that a client holding the response can rely on the log entry being there.
func (s *Server) observe(w http.ResponseWriter, r *http.Request) {
	info, _ := r.Context().Value(connInfoKey{}).(*connInfo)
	body, _ := io.Copy(io.Discard, r.Body)
	obs := &Observation{
		Role:       s.role,
		Token:      s.token,
		Connection: info.id,
		Handshake:  info.handshake,
		Protocol:   r.Proto,
		H2C:        info.priorKnowledge,
		Host:       r.Host,
		Method:     r.Method,
		Path:       r.RequestURI,
		Headers:    r.Header.Clone(),
		BodyBytes:  body,
		LocalAddr:  info.local,
		RemoteAddr: info.remote,
	}
	if isWebSocket(r) {
		obs.Upgrade = "websocket"
	}
	s.log.add(Event{
		Kind:        KindRequest,
		Connection:  info.id,
		Remote:      info.remote,
		Local:       info.local,
		Handshake:   info.handshake,
		Observation: obs,
	})
	w.Header().Set(TokenHeader, s.token)
	if isGRPC(r) {
		answerGRPC(w, r, obs)
		return
	}
	if obs.Upgrade != "" {
		echo(w, r, obs)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(obs) // a client that went away is not the upstream's concern
}

// isWebSocket reports whether r asks for a WebSocket upgrade (RFC 6455).
func isWebSocket(r *http.Request) bool {
	return r.ProtoMajor == 1 && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// echo accepts a WebSocket, sends obs as its first text message, then
// sends every message back until the client closes or goes away.
func echo(w http.ResponseWriter, r *http.Request, obs *Observation) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // any Origin: the gateway is the client
	if err != nil {
		return // Accept answered the client with the reason
	}
	defer c.CloseNow()
	ctx := r.Context()
	first, err := json.Marshal(obs)
	if err != nil || c.Write(ctx, websocket.MessageText, first) != nil {
		return
	}
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}
