package control

import (
	"context"
	"net/http"
	"sync/atomic"
)

// Readiness is the readiness a harness sets for a standalone process, for a
// kubelet's readinessProbe to read: a pod of xbcheck's image that plays an
// endpoint of an EndpointSelector is Ready exactly when the harness says.
// The zero value is not ready.
type Readiness struct{ ready atomic.Bool }

// ReadinessState is the body of GET and PUT /v1/readiness.
type ReadinessState struct {
	Ready bool `json:"ready"`
}

// register serves GET /v1/readiness on mux (200 when ready, 503 when
// not, with the state as JSON) and PUT /v1/readiness (sets it; 204).
func (r *Readiness) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/readiness", func(w http.ResponseWriter, _ *http.Request) {
		ready := r.ready.Load()
		status := http.StatusServiceUnavailable
		if ready {
			status = http.StatusOK
		}
		writeJSON(w, status, ReadinessState{Ready: ready})
	})
	mux.HandleFunc("PUT /v1/readiness", func(w http.ResponseWriter, req *http.Request) {
		respond(w, req, http.StatusOK, func(context.Context) (any, error) {
			s, err := decodeBody[ReadinessState](req.Body, payload{
				what: "a readiness", noun: "readiness", example: `{"ready":true}`, fields: "ready", doc: "control.ReadinessState",
			})
			if err != nil {
				return nil, err
			}
			r.ready.Store(s.Ready)
			return nil, nil
		})
	})
}

// SetReadiness sets the readiness the process's GET /v1/readiness answers.
func (r *Remote) SetReadiness(ctx context.Context, ready bool) error {
	return r.do(ctx, http.MethodPut, "/v1/readiness", ReadinessState{Ready: ready}, nil)
}
