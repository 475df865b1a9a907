package upstream

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// GRPCContentType is what a gRPC request and response carry as
// content-type (gRPC over HTTP/2, PROTOCOL-HTTP2.md).
const GRPCContentType = "application/grpc"

// isGRPC reports whether r is a gRPC call: content-type application/grpc,
// alone or with a +suffix or ;parameters.
func isGRPC(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return ct == GRPCContentType || strings.HasPrefix(ct, GRPCContentType+"+") || strings.HasPrefix(ct, GRPCContentType+";")
}

// answerGRPC answers a gRPC call of any method, as a gRPC server does:
// over HTTP/2 only (a gRPC server refuses HTTP/1.1 with 400, as grpc-go's
// ServeHTTP does); the response is one length-prefixed message holding
// obs as JSON, then trailer grpc-status 0. No protobuf: the message bytes
// are the codec's business, and xbcheck's client reads JSON.
func answerGRPC(w http.ResponseWriter, r *http.Request, obs *Observation) {
	if r.ProtoMajor != 2 {
		http.Error(w, "gRPC requires HTTP/2, got "+r.Proto, http.StatusBadRequest)
		return
	}
	msg, err := json.Marshal(obs)
	if err != nil {
		return
	}
	w.Header().Set("Content-Type", GRPCContentType)
	w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(GRPCFrame(msg))
	w.Header().Set("Grpc-Status", "0")
	w.Header().Set("Grpc-Message", "")
}

// GRPCFrame is msg as one gRPC length-prefixed message, uncompressed.
func GRPCFrame(msg []byte) []byte {
	out := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// GRPCMethod is the method xbcheck's gRPC client calls; the fake upstream
// answers any.
const GRPCMethod = "/xbcheck.Upstream/Observe"

// CallGRPC makes one unary gRPC call of GRPCMethod at base (a URL such as
// http://host:port) with client, which must speak HTTP/2, and returns the
// answering upstream's Observation. The error names what was not gRPC:
// the status, content-type, framing or grpc-status.
func CallGRPC(ctx context.Context, client *http.Client, base string) (*Observation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+GRPCMethod, bytes.NewReader(GRPCFrame(nil)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", GRPCContentType)
	req.Header.Set("Te", "trailers")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read the gRPC response: %w", err)
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP %d, not a gRPC response: %s", resp.StatusCode, firstLine(body))
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), GRPCContentType):
		return nil, fmt.Errorf("content-type %q, not a gRPC response: %s", resp.Header.Get("Content-Type"), firstLine(body))
	case resp.Trailer.Get("Grpc-Status") != "0":
		return nil, fmt.Errorf("grpc-status %q (%s), want 0", resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message"))
	case len(body) < 5 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5:
		return nil, fmt.Errorf("the response is not one length-prefixed gRPC message (%d bytes)", len(body))
	}
	var obs Observation
	if err := json.Unmarshal(body[5:], &obs); err != nil {
		return nil, fmt.Errorf("the gRPC message is not an upstream's observation: %w", err)
	}
	return &obs, nil
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(line) > 160 {
		line = line[:160] + "..."
	}
	return line
}
