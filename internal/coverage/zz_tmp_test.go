package coverage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/internal/crds"
)

func TestTmpJudge(t *testing.T) {
	home, _ := os.UserCacheDir()
	for _, v := range strings.Fields(os.Getenv("RELEASES")) {
		b, err := crds.Load(filepath.Join(home, "xbcheck", "gateway-api", v, "experimental"))
		if err != nil {
			t.Fatal(err)
		}
		xb, route, _ := admissions(b)
		files, _ := filepath.Glob(os.Getenv("FILES"))
		for _, f := range files {
			objs, err := manifest.Render(os.DirFS(filepath.Dir(f)), filepath.Base(f), placeholders())
			if err != nil {
				t.Fatal(err)
			}
			b.Schema.Render(objs)
			for _, o := range objs {
				adm := xb
				if o.GetKind() == "HTTPRoute" {
					adm = route
				}
				errs := adm.judge(context.Background(), o.Object)
				fmt.Printf("== %s %s %s: %d errors\n", v, filepath.Base(f), o.GetKind(), len(errs))
				for _, e := range errs {
					d := e.ErrorBody()
					if len(d) > 130 {
						d = d[:130]
					}
					fmt.Printf("   %s: %s\n", e.Field, strings.ReplaceAll(d, "\n", " "))
				}
			}
		}
	}
}
