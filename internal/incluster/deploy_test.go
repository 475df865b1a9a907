package incluster

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// A cluster whose admission refuses Services with externalIPs (the
// DenyServiceExternalIPs plugin) is named in one line with what to do.
func TestRefusedExternalIPsAreNamed(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "externalips-check", errors.New("spec.externalIPs: Forbidden: use of external IPs is denied by admission control"))
	})
	d := &Deployment{cs: cs, Namespace: "xbcheck-fakes-r1"}
	err := d.checkExternalIPs(t.Context(), netip.MustParsePrefix(DefaultInternet))
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "DenyServiceExternalIPs") || !strings.Contains(err.Error(), "--provider node or kind") {
		t.Errorf("error %q; want one line naming DenyServiceExternalIPs and the alternative", err)
	}
	if list, _ := cs.CoreV1().Services("xbcheck-fakes-r1").List(t.Context(), metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("%d Services left after the refusal", len(list.Items))
	}
}

func TestAllowedExternalIPsLeaveNothing(t *testing.T) {
	cs := fake.NewClientset()
	d := &Deployment{cs: cs, Namespace: "xbcheck-fakes-r1"}
	if err := d.checkExternalIPs(t.Context(), netip.MustParsePrefix(DefaultInternet)); err != nil {
		t.Fatal(err)
	}
	if list, _ := cs.CoreV1().Services("xbcheck-fakes-r1").List(t.Context(), metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("%d Services left after the check", len(list.Items))
	}
}
