package admin

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes every route of the admin listener (OpenAPI 3.0).
// TestOpenAPI calls each documented route and validates the answers
// against it, and fails on a route the mux serves that it lacks.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the document, without the token: it describes the API,
// it holds nothing of the deployment.
func (h *Handler) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}
