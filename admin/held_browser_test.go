package admin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// driveHeld is a page that loads the status page in a frame, opens the
// held plan of run 42, ticks changes 1 and 3 and presses "Approve
// selected", as a person would; it marks itself done when the frame has
// loaded the page the post redirects to.
const driveHeld = `<!doctype html><html><head><title>drive</title></head><body>
<iframe id="f" src="/" width="1200" height="900"></iframe>
<script>
const f = document.getElementById("f");
let loads = 0;
f.onload = () => {
  loads++;
  if (loads > 1) { document.body.setAttribute("data-done", "after-post"); return; }
  const d = f.contentDocument;
  d.getElementById("held-42").open = true;
  for (const seq of ["1", "3"]) {
    d.querySelector('#approve-selected-42 input[name=seq][value="' + seq + '"]').click();
  }
  d.querySelector("#approve-selected-42 button[type=submit]").click();
};
</script></body></html>`

// In Chromium, ticking changes of a held plan and pressing "Approve
// selected" posts exactly the ticked seqs to the approve endpoint, which
// reads them as a selection (approvalSeqs); "Approve" posts none, which
// is the whole plan.
func TestHeldPlanApproveSelectedInChromium(t *testing.T) {
	bin := chromium(t)
	data := fullStatus()
	var mu sync.Mutex
	var posts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			if err := renderStatus(w, data); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		case r.Method == http.MethodGet && r.URL.Path == "/drive":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(driveHeld))
		case r.Method == http.MethodPost && r.URL.Path == "/api/approvals/42/approve":
			seqs, err := approvalSeqs(r)
			mu.Lock()
			posts = append(posts, fmt.Sprintf("%v %v", seqs, err))
			mu.Unlock()
			http.Redirect(w, r, "/", http.StatusSeeOther)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	dom := string(runChromium(t, bin, srv.URL+"/drive", "--virtual-time-budget=10000", "--dump-dom"))
	if !strings.Contains(dom, `data-done="after-post"`) {
		t.Fatalf("the frame did not come back after the post; DOM:\n%s", dom)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"[1 3] <nil>"}; fmt.Sprint(posts) != fmt.Sprint(want) {
		t.Errorf("posts = %q, want %q", posts, want)
	}
}

// The approve endpoint's selection: JSON {"seqs": […]} from the API, the
// form's ticked seq fields from the page (only=1), nothing for the whole
// plan, and a clear 400 for an empty or bad selection.
func TestApprovalSeqs(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              string
	}{
		{"whole plan by form", "application/x-www-form-urlencoded", "", "[] <nil>"},
		{"selected by form", "application/x-www-form-urlencoded", "only=1&seq=2&seq=5", "[2 5] <nil>"},
		{"none ticked", "application/x-www-form-urlencoded", "only=1", "[] " + errNoneSelected.Error()},
		{"bad seq", "application/x-www-form-urlencoded", "only=1&seq=x", `[] seq "x": an integer is required`},
		{"whole plan by JSON", "application/json", `{}`, "[] <nil>"},
		{"empty body", "application/json", ``, "[] <nil>"},
		{"selected by JSON", "application/json", `{"seqs": [3, 1]}`, "[3 1] <nil>"},
		{"empty JSON list", "application/json", `{"seqs": []}`, "[] " + errNoneSelected.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/approvals/1/approve", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			seqs, err := approvalSeqs(req)
			got := fmt.Sprint(seqs) + " "
			if err != nil {
				got += err.Error()
			} else {
				got += "<nil>"
			}
			if got != tc.want {
				t.Errorf("approvalSeqs = %q, want %q", got, tc.want)
			}
		})
	}
}
