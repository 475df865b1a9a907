package incluster

import (
	"context"
	"strings"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// proxiedNames is the control API behind the API server's service proxy,
// which decodes an escaped slash in a path before passing it on: the
// harness names fakes "<namespace>/<name>", so each name travels with its
// slashes (and tildes, to stay reversible) spelled out.
type proxiedNames struct{ control.Fakes }

var (
	encodeName = strings.NewReplacer("~", "~7E", "/", "~2F")
	decodeName = strings.NewReplacer("~7E", "~", "~2F", "/")
)

func (p proxiedNames) Summary(ctx context.Context) (control.Summary, error) {
	sum, err := p.Fakes.Summary(ctx)
	for i := range sum.Upstreams {
		sum.Upstreams[i].Role = decodeName.Replace(sum.Upstreams[i].Role)
	}
	for i := range sum.Canaries {
		sum.Canaries[i].Name = decodeName.Replace(sum.Canaries[i].Name)
	}
	return sum, err
}

func (p proxiedNames) StartUpstream(ctx context.Context, spec control.UpstreamSpec) (control.UpstreamInfo, error) {
	role := spec.Role
	spec.Role = encodeName.Replace(role)
	info, err := p.Fakes.StartUpstream(ctx, spec)
	info.Role = role
	return info, err
}

func (p proxiedNames) StopUpstream(ctx context.Context, role string) error {
	return p.Fakes.StopUpstream(ctx, encodeName.Replace(role))
}

func (p proxiedNames) DropConnections(ctx context.Context, role string) error {
	return p.Fakes.DropConnections(ctx, encodeName.Replace(role))
}

func (p proxiedNames) UpstreamLog(ctx context.Context, role string) ([]upstream.Event, error) {
	return p.Fakes.UpstreamLog(ctx, encodeName.Replace(role))
}

func (p proxiedNames) ClearUpstreamLog(ctx context.Context, role string) error {
	return p.Fakes.ClearUpstreamLog(ctx, encodeName.Replace(role))
}

func (p proxiedNames) WaitUpstream(ctx context.Context, role string, match func(upstream.Event) bool) (upstream.Event, error) {
	return p.Fakes.WaitUpstream(ctx, encodeName.Replace(role), match)
}

func (p proxiedNames) StartCanary(ctx context.Context, spec control.CanarySpec) (control.CanaryInfo, error) {
	name := spec.Name
	spec.Name = encodeName.Replace(name)
	info, err := p.Fakes.StartCanary(ctx, spec)
	info.Name = name
	return info, err
}

func (p proxiedNames) StopCanary(ctx context.Context, name string) error {
	return p.Fakes.StopCanary(ctx, encodeName.Replace(name))
}

func (p proxiedNames) CanaryHits(ctx context.Context, name string) ([]canary.Hit, error) {
	return p.Fakes.CanaryHits(ctx, encodeName.Replace(name))
}

func (p proxiedNames) ClearCanary(ctx context.Context, name string) error {
	return p.Fakes.ClearCanary(ctx, encodeName.Replace(name))
}

func (p proxiedNames) WaitCanary(ctx context.Context, name string, match func(canary.Hit) bool) (canary.Hit, error) {
	return p.Fakes.WaitCanary(ctx, encodeName.Replace(name), match)
}
