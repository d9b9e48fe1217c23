package admin

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/scheduler"
)

var explainTmpl = template.Must(template.ParseFS(statusFS, "templates/explain.html"))

// explainPage is what templates/explain.html renders: an explanation, or
// why there is none.
type explainPage struct {
	CSS        template.CSS
	Job, Key   string
	E          *scheduler.Explanation
	Error      string
	Candidates []string
}

// explainErrorJSON is /explain's JSON answer without an explanation.
type explainErrorJSON struct {
	Error string `json:"error"`
	// Candidates are the closest names when nothing matched.
	Candidates []string `json:"candidates"`
}

// explain serves /explain?job=J&key=K: the explanation `orgbridge
// explain` prints, as HTML, or as JSON with ?format=json or an Accept of
// application/json. Nothing matching is 404 with the closest names; an
// unknown job 404; a source or target that fails 502.
func (h *Handler) explain(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	job, key := q.Get("job"), strings.TrimSpace(q.Get("key"))
	asJSON := q.Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
	page := explainPage{CSS: statusCSS, Job: job, Key: key}
	status := http.StatusOK
	var nf *scheduler.NotFoundError
	switch {
	case job == "" || key == "":
		status, page.Error = http.StatusBadRequest, "name a job and an object: /explain?job=JOB&key=KEY"
	case h.opts.Daemon == nil:
		status, page.Error = http.StatusServiceUnavailable, "no jobs run here"
	default:
		e, err := h.opts.Daemon.Explain(r.Context(), job, key, 0)
		switch {
		case err == nil:
			page.E = e
		case errors.Is(err, scheduler.ErrUnknownJob):
			status, page.Error = http.StatusNotFound, err.Error()
		case errors.As(err, &nf):
			status, page.Error, page.Candidates = http.StatusNotFound, nf.Error(), nf.Candidates
		default:
			h.opts.Logger.Warn("explain", zap.String("job", job), zap.Error(err))
			status, page.Error = http.StatusBadGateway, err.Error()
		}
	}
	if asJSON {
		if page.E != nil {
			writeJSON(w, status, page.E)
			return
		}
		writeJSON(w, status, explainErrorJSON{Error: page.Error, Candidates: page.Candidates})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := renderPage(w, explainTmpl, page); err != nil {
		h.opts.Logger.Error("render the explanation", zap.Error(err))
	}
}
