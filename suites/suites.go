package suites

import (
	"github.com/xbcheck/xbcheck/suites/admission"
	"github.com/xbcheck/xbcheck/suites/admission170"
	"github.com/xbcheck/xbcheck/suites/backendtls"
	"github.com/xbcheck/xbcheck/suites/endpointselector"
	"github.com/xbcheck/xbcheck/suites/grpc"
	"github.com/xbcheck/xbcheck/suites/harness"
	"github.com/xbcheck/xbcheck/suites/protocol"
	"github.com/xbcheck/xbcheck/suites/rebinding"
	"github.com/xbcheck/xbcheck/suites/routing"
	"github.com/xbcheck/xbcheck/suites/session"
	"github.com/xbcheck/xbcheck/suites/tcp"
	"github.com/xbcheck/xbcheck/suites/websocket"
)

// Families returns every family, in catalog order.
func Families() []harness.Family {
	return []harness.Family{
		admission.Family(),
		admission170.Family(),
		routing.Family(),
		backendtls.Family(),
		protocol.Family(),
		rebinding.Family(),
		endpointselector.Family(),
		session.Family(),
		websocket.Family(),
		grpc.Family(),
		tcp.Family(),
	}
}
