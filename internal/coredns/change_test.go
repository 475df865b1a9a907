package coredns

import (
	"bytes"
	"context"
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// testZone is the rogue DNS Service of a run.
var testZone = StubZone{Zone: "xbcheck.test.", Servers: []netip.AddrPort{netip.MustParseAddrPort("10.96.200.53:53")}}

func TestAddAppendsAnUncachedServerBlockAndMarksTheConfigMap(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 2)
	var progress bytes.Buffer
	if _, err := Add(context.Background(), f, "r1", testZone, &progress); err != nil {
		t.Fatal(err)
	}
	cm := f.configMap(t, namespace, "coredns")
	want := kindCorefile + "# Added by xbcheck run r1, uncached: the suite needs its TTLs as sent. `xbcheck clean --run-id r1` removes it.\n" +
		"xbcheck.test:53 {\n    errors\n    forward . 10.96.200.53:53\n}\n"
	if got := cm.Data[corefileKey]; got != want {
		t.Errorf("Corefile after Add:\n%s\nwant:\n%s", got, want)
	}
	if cm.Labels[RunLabel] != "r1" || cm.Annotations[OriginalAnnotation] != kindCorefile {
		t.Errorf("ConfigMap marks: labels %v, annotations %v; want %s=r1 and the Corefile from before in %s", cm.Labels, cm.Annotations, RunLabel, OriginalAnnotation)
	}
	if cm.Data["other"] != "untouched" || cm.Annotations["kept"] != "as is" {
		t.Errorf("Add changed what is not its own: data %v, annotations %v", cm.Data, cm.Annotations)
	}
	if f.deletions() != 2 {
		t.Errorf("Add deleted %d CoreDNS pods, want both", f.deletions())
	}
	for _, served := range f.corefilesServed(t, namespace) {
		if served != want {
			t.Errorf("a CoreDNS pod serves the Corefile:\n%s\nwant the one Add wrote", served)
		}
	}
	line := progress.String()
	if !strings.HasPrefix(line, "CoreDNS forwards xbcheck.test to 10.96.200.53:53, uncached (ConfigMap kube-system/coredns, run r1): 2 pods restarted in ") || strings.Count(line, "\n") != 1 {
		t.Errorf("progress %q, want one line saying what CoreDNS forwards and how long the restart took", line)
	}
}

// Only the zone's block is added: CoreDNS sends the Service's queries to
// the root zone's port, which need not be 53.
func TestAddListensWhereTheRootZoneDoes(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", "dns://.:5353 {\n    forward . 10.0.0.1\n}\n", 1)
	z := StubZone{Zone: "XBcheck.Test", Servers: []netip.AddrPort{netip.MustParseAddrPort("10.96.200.53:53"), netip.MustParseAddrPort("[fd00::53]:53")}}
	if _, err := Add(context.Background(), f, "r1", z, nil); err != nil {
		t.Fatal(err)
	}
	got := f.configMap(t, namespace, "coredns").Data[corefileKey]
	if !strings.Contains(got, "\nxbcheck.test:5353 {\n    errors\n    forward . 10.96.200.53:53 [fd00::53]:53\n}\n") {
		t.Errorf("Corefile after Add:\n%s\nwant a block for xbcheck.test on port 5353 forwarding to both servers", got)
	}
}

func TestRestorePutsTheCorefileBackByteForByte(t *testing.T) {
	for name, corefile := range map[string]string{
		"kind":                kindCorefile,
		"no trailing newline": ".:53 {\n    forward . 10.0.0.1\n}",
		"CRLF":                ".:53 {\r\n    forward . 10.0.0.1\r\n}\r\n",
		"CRLF, no trailing":   ".:53 {\r\n    forward . 10.0.0.1\r\n}",
		"empty":               "",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeDNS(t, namespace, "coredns", corefile, 1)
			before := f.configMap(t, namespace, "coredns")
			c, err := Add(context.Background(), f, "r1", testZone, nil)
			if err != nil {
				t.Fatal(err)
			}
			applied := f.configMap(t, namespace, "coredns").Data[corefileKey]
			if !strings.HasPrefix(applied, corefile) || keys(serverKeys(applied)) != keys(serverKeys(corefile))+"xbcheck.test:53," {
				t.Errorf("Add wrote %q: want %q and then a server block for xbcheck.test:53", applied, corefile)
			}
			if strings.Contains(corefile, "\r\n") && strings.Count(applied, "\n") != strings.Count(applied, "\r\n") {
				t.Errorf("Add mixed line endings into a CRLF Corefile: %q", applied)
			}
			var progress bytes.Buffer
			c.progress = &progress
			if err := c.Restore(context.Background()); err != nil {
				t.Fatal(err)
			}
			after := f.configMap(t, namespace, "coredns")
			if after.Data[corefileKey] != corefile {
				t.Errorf("Corefile after Restore %q, want %q", after.Data[corefileKey], corefile)
			}
			if !maps.Equal(after.Labels, before.Labels) || !maps.Equal(after.Annotations, before.Annotations) || !maps.Equal(after.Data, before.Data) {
				t.Errorf("after Restore: labels %v, annotations %v, data %v; want them as before: %v, %v, %v", after.Labels, after.Annotations, after.Data, before.Labels, before.Annotations, before.Data)
			}
			for _, served := range f.corefilesServed(t, namespace) {
				if served != corefile {
					t.Errorf("after Restore a CoreDNS pod serves %q", served)
				}
			}
			if !strings.HasPrefix(progress.String(), "CoreDNS's Corefile restored (ConfigMap kube-system/coredns, run r1): 1 pod restarted in ") {
				t.Errorf("progress %q, want a line saying the Corefile was restored", progress.String())
			}
		})
	}
}

func keys(ks []string) string {
	var b strings.Builder
	for _, k := range ks {
		b.WriteString(k + ",")
	}
	return b.String()
}

func TestRestoreKeepsOthersChangesToOtherKeys(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	c, err := Add(context.Background(), f, "r1", testZone, nil)
	if err != nil {
		t.Fatal(err)
	}
	cm := f.configMap(t, namespace, "coredns")
	cm.Data["other"] = "changed meanwhile"
	cm.Data["new"] = "added meanwhile"
	if _, err := f.CoreV1().ConfigMaps(namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{corefileKey: kindCorefile, "other": "changed meanwhile", "new": "added meanwhile"}
	if got := f.configMap(t, namespace, "coredns").Data; !maps.Equal(got, want) {
		t.Errorf("after Restore the ConfigMap holds %v, want %v", got, want)
	}
}

func TestRestoreTwiceRestoresOnce(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	c, err := Add(context.Background(), f, "r1", testZone, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	deleted, actions := f.deletions(), len(f.Actions())
	if err := c.Restore(context.Background()); err != nil {
		t.Fatalf("Restore again: %v", err)
	}
	if f.deletions() != deleted || len(f.Actions()) != actions {
		t.Errorf("a second Restore did %v, want nothing", f.Actions()[actions:])
	}
}

// A run whose change `xbcheck clean` (or a later Add of another run after
// it) has dealt with leaves the ConfigMap alone.
func TestRestoreLeavesAConfigMapTheRunNoLongerMarks(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	c, err := Add(context.Background(), f, "r1", testZone, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Clean(context.Background(), f, "r1", &bytes.Buffer{}); err != nil || n != 1 {
		t.Fatalf("Clean = %d, %v", n, err)
	}
	if _, err := Add(context.Background(), f, "r2", testZone, nil); err != nil {
		t.Fatal(err)
	}
	before, deleted := f.configMap(t, namespace, "coredns"), f.deletions()
	var progress bytes.Buffer
	c.progress = &progress
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := f.configMap(t, namespace, "coredns")
	if after.ResourceVersion != before.ResourceVersion || f.deletions() != deleted {
		t.Errorf("run r1's Restore changed run r2's ConfigMap or restarted CoreDNS")
	}
	if !strings.Contains(progress.String(), "no longer carries run r1's stub zone; left as it is") {
		t.Errorf("progress %q, want a line saying the ConfigMap was left alone", progress.String())
	}
}

func TestRestoreSaysWhenTheCorefileWasEditedMeanwhile(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	c, err := Add(context.Background(), f, "r1", testZone, nil)
	if err != nil {
		t.Fatal(err)
	}
	cm := f.configMap(t, namespace, "coredns")
	cm.Data[corefileKey] += "example.org {\n    whoami\n}\n"
	if _, err := f.CoreV1().ConfigMaps(namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	c.progress = &progress
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.configMap(t, namespace, "coredns").Data[corefileKey]; got != kindCorefile {
		t.Errorf("Corefile after Restore %q, want the one from before the run", got)
	}
	if !strings.Contains(progress.String(), "was edited while it forwarded xbcheck.test") {
		t.Errorf("progress %q, want a line saying the Corefile had been edited", progress.String())
	}
}

func TestAddRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		corefile string
		edit     func(*corev1.ConfigMap)
		run      string
		zone     StubZone
		want     string
	}{
		"the zone has a block": {corefile: kindCorefile + "xbcheck.test:53 {\n    forward . 10.0.0.53\n}\n",
			want: `CoreDNS's Corefile (ConfigMap kube-system/coredns) already has a server block "xbcheck.test:53" for xbcheck.test that xbcheck did not add; remove it`},
		"a zone under it has a block": {corefile: kindCorefile + "dns://a.XBCHECK.test. {\n    whoami\n}\n",
			want: `server block "dns://a.XBCHECK.test." for xbcheck.test that xbcheck did not add`},
		"the zone shares a block": {corefile: ".:53, xbcheck.test:53 {\n    whoami\n}\n",
			want: `server block "xbcheck.test:53" for xbcheck.test`},
		"a block without braces": {corefile: ".:53\nwhoami\n",
			want: "CoreDNS's Corefile (ConfigMap kube-system/coredns) has its one server block without braces"},
		"another run's change is there": {corefile: kindCorefile,
			edit: func(cm *corev1.ConfigMap) { cm.Labels = map[string]string{RunLabel: "r0"} },
			want: "CoreDNS's Corefile (ConfigMap kube-system/coredns) still carries the stub zone of xbcheck run r0; undo it with `xbcheck clean --run-id r0`"},
		"the ConfigMap is immutable": {corefile: kindCorefile,
			edit: func(cm *corev1.ConfigMap) { cm.Immutable = ptr.To(true) },
			want: "CoreDNS's ConfigMap kube-system/coredns is immutable, so xbcheck cannot add its stub zone xbcheck.test"},
		"no run id":           {corefile: kindCorefile, run: "-", want: `run id "-" cannot mark CoreDNS's ConfigMap`},
		"no zone":             {corefile: kindCorefile, zone: StubZone{Zone: ".", Servers: testZone.Servers}, want: `stub zone "." is no DNS zone xbcheck may forward`},
		"a zone with a brace": {corefile: kindCorefile, zone: StubZone{Zone: "x{.test", Servers: testZone.Servers}, want: `stub zone "x{.test" is no DNS zone`},
		"no servers":          {corefile: kindCorefile, zone: StubZone{Zone: "xbcheck.test"}, want: "stub zone xbcheck.test has no servers"},
		"a loopback server": {corefile: kindCorefile, zone: StubZone{Zone: "xbcheck.test", Servers: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.53:53")}},
			want: "stub zone xbcheck.test: CoreDNS's pods cannot reach server 127.0.0.53:53"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeDNS(t, namespace, "coredns", tc.corefile, 1)
			if tc.edit != nil {
				cm := f.configMap(t, namespace, "coredns")
				tc.edit(cm)
				if _, err := f.CoreV1().ConfigMaps(namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			before := f.configMap(t, namespace, "coredns")
			run, zone := cmp(tc.run, "r1"), tc.zone
			if zone.Zone == "" {
				zone = testZone
			}
			_, err := Add(context.Background(), f, run, zone, nil)
			refused(t, err, tc.want)
			if after := f.configMap(t, namespace, "coredns"); after.ResourceVersion != before.ResourceVersion || f.deletions() != 0 {
				t.Errorf("a refused Add changed the ConfigMap or restarted CoreDNS")
			}
		})
	}
}

func cmp(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// refused fails the test unless err is one line containing want.
func refused(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("the error is more than one line: %q", err)
	}
}

func TestAddRefusesWithoutCoreDNS(t *testing.T) {
	f := newFakeDNS(t, "elsewhere", "coredns", kindCorefile, 1)
	_, err := Add(context.Background(), f, "r1", testZone, nil)
	refused(t, err, "no CoreDNS found: no Deployment labelled k8s-app=kube-dns in kube-system; xbcheck forwards its test zone through CoreDNS")

	f = newFakeDNS(t, namespace, "kube-dns", kindCorefile, 1)
	cm := f.configMap(t, namespace, "kube-dns")
	delete(cm.Data, corefileKey)
	if _, err := f.CoreV1().ConfigMaps(namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = Add(context.Background(), f, "r1", testZone, nil)
	refused(t, err, "no CoreDNS found: the Deployments labelled k8s-app=kube-dns in kube-system (kube-dns) mount no ConfigMap with a key Corefile")
}

// A concurrent writer makes the first update conflict: Add reads the
// ConfigMap again and keeps the writer's change.
func TestAddRetriesOnConflict(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	updates := 0
	f.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if updates++; updates > 1 {
			return false, nil, nil
		}
		gvr := corev1.SchemeGroupVersion.WithResource("configmaps")
		obj, err := f.Tracker().Get(gvr, namespace, "coredns")
		if err != nil {
			return true, nil, err
		}
		cm := obj.(*corev1.ConfigMap).DeepCopy()
		cm.Data["other"] = "written meanwhile"
		if err := f.Tracker().Update(gvr, cm, namespace); err != nil {
			return true, nil, err
		}
		return true, nil, apierrors.NewConflict(gvr.GroupResource(), "coredns", nil)
	})
	c, err := Add(context.Background(), f, "r1", testZone, nil)
	if err != nil {
		t.Fatal(err)
	}
	cm := f.configMap(t, namespace, "coredns")
	if updates != 2 || cm.Data["other"] != "written meanwhile" || cm.Labels[RunLabel] != "r1" || !strings.Contains(cm.Data[corefileKey], "xbcheck.test:53 {") {
		t.Fatalf("after %d updates the ConfigMap is %v, labels %v; want the zone added on top of the concurrent change", updates, cm.Data, cm.Labels)
	}
	updates = 0
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cm := f.configMap(t, namespace, "coredns"); updates != 2 || cm.Data[corefileKey] != kindCorefile || cm.Data["other"] != "written meanwhile" {
		t.Fatalf("after %d updates Restore left %v, want the Corefile from before and the concurrent change", updates, cm.Data)
	}
}

// CoreDNS that does not come back with the new Corefile gets the old one
// back before Add returns, even when Add's context has ended.
func TestAddPutsTheCorefileBackWhenCoreDNSDoesNotComeBack(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	f.healthy = func(corefile string) bool { return !strings.Contains(corefile, "xbcheck.test") }
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := Add(ctx, f, "r1", testZone, nil)
	refused(t, err, "CoreDNS did not restart with the stub zone xbcheck.test, so xbcheck put its Corefile back: gave up waiting for CoreDNS pod kube-system/coredns-1 to be replaced by a Ready pod")
	if !strings.Contains(err.Error(), "CrashLoopBackOff") {
		t.Errorf("the error %q does not say what the new pod does", err)
	}
	cm := f.configMap(t, namespace, "coredns")
	if cm.Data[corefileKey] != kindCorefile || cm.Labels[RunLabel] != "" {
		t.Errorf("after a failed Add the ConfigMap is %v, labels %v; want it as before", cm.Data, cm.Labels)
	}
}

// The fake clientset's deletion ignores preconditions; check Add asks for
// one, so it never deletes a pod that replaced the one it listed.
func TestRestartDeletesThePodItListed(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	if _, err := Add(context.Background(), f, "r1", testZone, nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range f.Actions() {
		if d, ok := a.(k8stesting.DeleteAction); ok && d.GetResource().Resource == "pods" {
			if uid := d.GetDeleteOptions().Preconditions.UID; uid == nil || *uid != "uid-1" {
				t.Errorf("deleted pod %s without its UID as precondition", d.GetName())
			}
		}
	}
}

// An update that landed though its answer was lost (Ctrl-C while it was
// on its way) is undone before Add returns its error.
func TestAddUndoesAnUpdateWhoseAnswerWasLost(t *testing.T) {
	f := newFakeDNS(t, namespace, "coredns", kindCorefile, 1)
	lost := true
	f.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if !lost {
			return false, nil, nil
		}
		lost = false
		u := a.(k8stesting.UpdateAction)
		if err := f.Tracker().Update(u.GetResource(), u.GetObject(), u.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, nil, context.Canceled
	})
	_, err := Add(context.Background(), f, "r1", testZone, nil)
	refused(t, err, "write the stub zone xbcheck.test into CoreDNS's Corefile (ConfigMap kube-system/coredns): context canceled")
	cm := f.configMap(t, namespace, "coredns")
	if cm.Data[corefileKey] != kindCorefile || cm.Labels[RunLabel] != "" || cm.Annotations[OriginalAnnotation] != "" {
		t.Errorf("after a lost update the ConfigMap is %v, labels %v, annotations %v; want it as before", cm.Data, cm.Labels, cm.Annotations)
	}
}
