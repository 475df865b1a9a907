package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProbeRelaysResponsesAndErrors(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Token", "t0k")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("path " + r.URL.Path))
	}))
	defer target.Close()
	prober := httptest.NewServer(Handler())
	defer prober.Close()
	c := &Client{URL: prober.URL}
	ctx := context.Background()

	res, err := c.Get(ctx, Request{URL: target.URL + "/x"})
	if err != nil || res.Status != http.StatusTeapot || string(res.Body) != "path /x" || res.Header.Get("X-Token") != "t0k" || res.Error != "" {
		t.Fatalf("relayed %+v, %v; want 418 with the body and header", res, err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	res, err = c.Get(ctx, Request{URL: closed.URL, Timeout: time.Second})
	if err != nil || res.Status != 0 || !strings.Contains(res.Error, "refused") {
		t.Fatalf("a refused connection: %+v, %v; want the error in the result", res, err)
	}
	if _, err := (&Client{URL: target.URL}).Get(ctx, Request{URL: "http://x"}); err == nil {
		t.Fatal("a probe URL that is no probe must be the probe's error")
	}
}

func TestProbeSendsTheHostOfItsHeader(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Host + " " + r.Header.Get("Host")))
	}))
	defer target.Close()
	prober := httptest.NewServer(Handler())
	defer prober.Close()
	res, err := (&Client{URL: prober.URL}).Get(context.Background(), Request{URL: target.URL, Header: http.Header{"Host": {"a.wild.example.test"}}})
	if err != nil || string(res.Body) != "a.wild.example.test " {
		t.Fatalf("the target saw host %q (%v); want a.wild.example.test as the Host header and nowhere else", res.Body, err)
	}
}
