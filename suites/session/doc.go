// Package session is the family of Gateway API v1.7.0's
// sessionPersistence on an EndpointSelector XBackend: a cookie (its name,
// and its Path "/" when none is given) or a header names the pod a
// client's session is on, and requests bringing it back stay there while
// that pod is ready. The pods are the harness's, played or real as in
// package endpointselector; these specs skip on a v1.6.3 schema.
package session
