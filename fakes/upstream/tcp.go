package upstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
)

// serveTCP speaks protocol TCP on c (after the TLS handshake, if any):
// the upstream speaks first, one line of JSON, its Observation of the
// connection (Protocol "TCP", the handshake, the addresses), logged as a
// request; then it echoes every byte until the client closes. A client
// that reads the line through a gateway learns which upstream it reached
// and what that upstream saw of the gateway's connection.
func (s *Server) serveTCP(c net.Conn, info *connInfo) {
	obs := &Observation{
		Role:       s.role,
		Token:      s.token,
		Connection: info.id,
		Handshake:  info.handshake,
		Protocol:   "TCP",
		LocalAddr:  info.local,
		RemoteAddr: info.remote,
	}
	s.log.add(Event{Kind: KindRequest, Connection: info.id, Remote: info.remote, Local: info.local, Handshake: info.handshake, Observation: obs})
	banner, err := json.Marshal(obs)
	if err != nil {
		return
	}
	if _, err := c.Write(append(banner, '\n')); err != nil {
		return
	}
	_, _ = io.Copy(c, c) // the echo ends when either side goes away
}

// ReadBanner reads the first line a TCP upstream sends, its Observation,
// byte by byte, so nothing after it is consumed.
func ReadBanner(c net.Conn) (*Observation, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < 1<<16 {
		if _, err := c.Read(b); err != nil {
			return nil, fmt.Errorf("no banner from the upstream (read %d bytes): %w", len(line), err)
		}
		if b[0] == '\n' {
			var obs Observation
			if err := json.Unmarshal(line, &obs); err != nil {
				return nil, fmt.Errorf("the first line is not an upstream's observation: %q", line)
			}
			return &obs, nil
		}
		line = append(line, b[0])
	}
	return nil, fmt.Errorf("no end of line in the first %d bytes", len(line))
}

// Echo sends text on c and reads as many bytes back.
func Echo(c net.Conn, text string) (string, error) {
	if _, err := c.Write([]byte(text)); err != nil {
		return "", err
	}
	got := make([]byte, len(text))
	_, err := io.ReadFull(c, got)
	return string(got), err
}
