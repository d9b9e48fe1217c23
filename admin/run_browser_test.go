package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// driveLinks loads the status page in a frame and follows, as a person
// would, the chart's bar of run 12, the run page's "failed" filter, and
// back on the status page the failed operation's run link; each page
// loaded writes where it is and what it shows into data-log.
const driveLinks = `<!doctype html><html><head><title>drive</title></head><body>
<iframe id="f" src="/" width="1200" height="900"></iframe>
<script>
const f = document.getElementById("f");
const log = [];
let step = 0;
f.onload = () => {
  const d = f.contentDocument;
  const h2 = d.querySelector("h2");
  log.push(f.contentWindow.location.pathname + f.contentWindow.location.search + " | " + (h2 ? h2.textContent : "") +
    " | rows " + d.querySelectorAll("table.changes tbody tr").length);
  document.body.setAttribute("data-log", log.join(" ;; "));
  step++;
  if (step === 1) {
    d.querySelector('svg a[href="runs/12"]').dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
  } else if (step === 2) {
    d.querySelector('nav.filters a[href="?outcome=failed"]').click();
  } else if (step === 3) {
    f.src = "/";
  } else if (step === 4) {
    d.querySelector('a[href="runs/12?outcome=failed"]').click();
  } else {
    document.body.setAttribute("data-done", "yes");
  }
};
</script></body></html>`

// In Chromium the status page's links lead to the run's page: the chart's
// bar, the run page's outcome filter and a failed operation's run link
// (issue 20 item 5).
func TestRunLinksInChromium(t *testing.T) {
	bin := chromium(t)
	status, runData := fullStatus(), runFixture()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			_ = renderStatus(w, status)
		case "/drive":
			_, _ = w.Write([]byte(driveLinks))
		case "/runs/12":
			d := runData
			d.Outcome = r.URL.Query().Get("outcome")
			if d.Outcome == "all" {
				d.Outcome = ""
			}
			_ = renderRun(w, d)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dom := string(runChromium(t, bin, srv.URL+"/drive", "--virtual-time-budget=15000", "--dump-dom"))
	if !strings.Contains(dom, `data-done="yes"`) {
		t.Fatalf("the frame did not follow every link; DOM:\n%s", dom)
	}
	if i := strings.Index(dom, "data-log="); i >= 0 {
		t.Logf("log: %s", dom[i:i+min(600, len(dom)-i)])
	}
	mustContain(t, dom,
		`/ | Plans waiting for approval 2 | rows 0 ;; `+
			`/runs/12 | Run #12 of hr-to-ad | rows 4 ;; `+
			`/runs/12?outcome=failed | Run #12 of hr-to-ad | rows 1 ;; `+
			`/ | Plans waiting for approval 2 | rows 0 ;; `+
			`/runs/12?outcome=failed | Run #12 of hr-to-ad | rows 1`)
}
