package httpkit

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/orgbridge/orgbridge/connectors"
)

func response(method, path string, status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{
		StatusCode: status,
		Header:     h,
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    httptest.NewRequest(method, "http://api.example"+path, nil),
	}
}

func TestCheckResponse(t *testing.T) {
	const fieldBody = `{"message":"adminUserIds.1には、usr_で始まる値を指定してください。","errors":{"adminUserIds.1":["adminUserIds.1には、usr_で始まる値を指定してください。"],"name":["nameは必須です。"]}}`
	tests := []struct {
		name      string
		resp      *http.Response
		sentinel  error
		transient bool
		want      []string // substrings of the error
	}{
		{"404", response("GET", "/users/usr_x", 404, `{"message":"No query results."}`), connectors.ErrNotFound, false,
			[]string{"GET /users/usr_x", "404", "No query results."}},
		{"409", response("POST", "/groups", 409, `{"message":"Already exists"}`), connectors.ErrConflict, false,
			[]string{"POST /groups", "409", "Already exists"}},
		{"429", response("GET", "/users", 429, `{"message":"Too Many Attempts."}`, "Retry-After", "12"), nil, true,
			[]string{"GET /users", "429", "Too Many Attempts."}},
		{"500", response("POST", "/users", 500, `{"message":"Server Error"}`), nil, true,
			[]string{"POST /users", "500", "Server Error"}},
		{"503 html", response("GET", "/users", 503, "<html>\n<body>メンテナンス中</body>\n</html>"), nil, true,
			[]string{"GET /users", "503", "<html> <body>メンテナンス中</body> </html>"}},
		{"401", response("GET", "/users", 401, `{"message":"Unauthenticated."}`), nil, false,
			[]string{"GET /users", "401", "Unauthenticated."}},
		{"403", response("PUT", "/users/usr_x", 403, `{"message":"Invalid scope(s) provided."}`), nil, false,
			[]string{"PUT /users/usr_x", "403", "Invalid scope(s) provided."}},
		{"400 oauth", response("POST", "/oauth/token", 400, `{"error":"invalid_request","error_description":"The grant type is unsupported."}`), nil, false,
			[]string{"POST /oauth/token", "400", "The grant type is unsupported."}},
		{"400 empty", response("DELETE", "/groups/grp_x/users", 400, ``), nil, false,
			[]string{"DELETE /groups/grp_x/users: 400 Bad Request"}},
		{"422", response("POST", "/organizations", 422, fieldBody), nil, false,
			[]string{"POST /organizations", "422", "adminUserIds.1には", "name: nameは必須です。"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckResponse(tt.resp)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if connectors.IsTransient(err) != tt.transient {
				t.Errorf("transient = %v, want %v", !tt.transient, tt.transient)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tt.resp.StatusCode {
				t.Errorf("no StatusError with status %d in %v", tt.resp.StatusCode, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	err := CheckResponse(response("POST", "/organizations", 422, fieldBody))
	var fe *connectors.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("422: no FieldError in %v", err)
	}
	if fe.Status != 422 || len(fe.Fields["adminUserIds.1"]) != 1 || !strings.HasPrefix(fe.Message, "adminUserIds.1には") {
		t.Errorf("FieldError = %+v", fe)
	}
	var se *StatusError
	if errors.As(CheckResponse(response("GET", "/users", 429, `{}`, "Retry-After", "12")), &se); se.RetryAfter != 12*time.Second {
		t.Errorf("RetryAfter = %v, want 12s", se.RetryAfter)
	}
	if CheckResponse(response("GET", "/users", 204, "")) != nil {
		t.Error("204 is an error")
	}
	// 422 with errors only: the first field's message stands in.
	errors.As(CheckResponse(response("PUT", "/users/usr_x", 422, `{"errors":{"mail":"The mail must be a valid email address."}}`)), &fe)
	if fe.Message != "The mail must be a valid email address." {
		t.Errorf("message = %q", fe.Message)
	}
}

func TestErrorBodyIsCapped(t *testing.T) {
	huge := strings.Repeat("x", 10*MaxErrorBody)
	err := CheckResponse(response("GET", "/users", 500, huge))
	if len(err.Error()) > 400 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"message":"`+strings.Repeat("y", 2*MaxErrorBody)+`"}`)
	}))
	defer srv.Close()
	req, _ := retryablehttp.NewRequest("GET", srv.URL+"/big", nil)
	_, err = Do(fastClient(0), req)
	if err == nil || !strings.Contains(err.Error(), "GET /big: 400") {
		t.Errorf("err = %v", err)
	}
}

func TestDecodeJSON(t *testing.T) {
	var v struct{ A int }
	if err := DecodeJSON(response("GET", "/x", 200, `{"A":3}`), &v); err != nil || v.A != 3 {
		t.Fatalf("DecodeJSON = %v, %+v", err, v)
	}
	if err := DecodeJSON(response("GET", "/x", 204, ``), &v); err != nil {
		t.Fatalf("empty body: %v", err)
	}
	err := DecodeJSON(response("GET", "/x", 200, `{"A":`), &v)
	if err == nil || !strings.Contains(err.Error(), "GET /x") {
		t.Fatalf("bad JSON: %v", err)
	}
}
