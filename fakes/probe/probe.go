package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"time"
)

// MaxBody is the most of a response body a probe keeps.
const MaxBody = 1 << 20

// Request is one probe: a GET of URL, bounded by Timeout (default 10s).
type Request struct {
	URL     string        `json:"url"`
	Timeout time.Duration `json:"timeoutNanoseconds,omitempty"`
	// Header is sent with the request (a session's cookie or header); a
	// Host in it is sent as the Host header instead of URL's host (a
	// route's hostname).
	Header http.Header `json:"header,omitempty"`
}

// Result is what the probe got: a response, or the error that stopped it
// (a refused connection, a timeout), as text.
type Result struct {
	Status int         `json:"status,omitempty"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// Handler answers POST requests whose body is a Request with the Result of
// sending it.
func Handler() http.Handler {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.URL == "" {
			http.Error(w, `{"error":"give a JSON body {\"url\": ...}"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(send(r.Context(), client, req))
	})
}

func send(ctx context.Context, client *http.Client, req Request) Result {
	if req.Timeout <= 0 {
		req.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	hr, err := HTTPRequest(ctx, req)
	if err != nil {
		return Result{Error: err.Error()}
	}
	resp, err := client.Do(hr)
	if err != nil {
		return Result{Error: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	res := Result{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// HTTPRequest is the GET req stands for: its URL and headers, a Host among
// them sent as the Host header.
func HTTPRequest(ctx context.Context, req Request) (*http.Request, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, err
	}
	maps.Copy(hr.Header, req.Header)
	if host := hr.Header.Get("Host"); host != "" {
		hr.Host = host
		hr.Header.Del("Host")
	}
	return hr, nil
}

// Client drives a probe Handler at URL (e.g. through the API server's
// service proxy, with HTTP the API server's authenticated client).
type Client struct {
	URL  string
	HTTP *http.Client // default http.DefaultClient
}

// Get sends req through the probe. An error is the probe's own failure
// (unreachable, a bad answer); the request's failure is in Result.Error.
func (c *Client) Get(ctx context.Context, req Request) (Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Result{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Result{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return Result{}, fmt.Errorf("probe at %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return Result{}, fmt.Errorf("probe at %s: %s: %s", c.URL, resp.Status, bytes.TrimSpace(msg))
	}
	var res Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return Result{}, fmt.Errorf("probe at %s: %w", c.URL, err)
	}
	return res, nil
}
