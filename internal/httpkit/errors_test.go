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

	"github.com/orgbridge/orgbridge/internal/errkind"
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
		{"404", response("GET", "/users/usr_x", 404, `{"message":"No query results."}`), errkind.ErrNotFound, false,
			[]string{"GET /users/usr_x", "404", "No query results."}},
		{"409", response("POST", "/groups", 409, `{"message":"Already exists"}`), errkind.ErrConflict, false,
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
			if errkind.IsTransient(err) != tt.transient {
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
	var fe *errkind.FieldError
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
	// A 400 or a 409 that names fields is a field error too; the 409 is
	// still a conflict.
	for _, status := range []int{400, 409} {
		err := CheckResponse(response("POST", "/users", status, `{"message":"invalid","errors":{"email":["already used"]}}`))
		fe = nil
		if !errors.As(err, &fe) || fe.Status != status || len(fe.Fields["email"]) != 1 {
			t.Errorf("%d with fields: no FieldError naming email in %v", status, err)
		}
		if errors.Is(err, errkind.ErrConflict) != (status == 409) {
			t.Errorf("%d with fields: errors.Is(ErrConflict) = %v", status, !(status == 409))
		}
		if !strings.Contains(err.Error(), "email: already used") {
			t.Errorf("%d with fields: %q does not name the field", status, err)
		}
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

// TestErrorBodyShapes: the API's message is read wherever the body puts
// it, and an error never ends in an empty message when the body has text.
func TestErrorBodyShapes(t *testing.T) {
	tests := []struct {
		name   string
		method string
		status int
		body   string
		want   string
	}{
		{"message", "GET", 404, `{"message":"No query results."}`,
			"GET /users/usr_1013: 404 Not Found: No query results."},
		{"error string", "GET", 400, `{"error":"user not found"}`,
			"GET /users/usr_1013: 400 Bad Request: user not found"},
		{"error object", "GET", 400, `{"error":{"message":"user not found: usr_1013"}}`,
			"GET /users/usr_1013: 400 Bad Request: user not found: usr_1013"},
		{"error object with code", "DELETE", 400, `{"error":{"code":"NOT_FOUND","message":"user not found: usr_1013","status":400}}`,
			"DELETE /users/usr_1013: 400 Bad Request: user not found: usr_1013"},
		{"error object with description", "GET", 403, `{"error":{"code":"forbidden","description":"scope users:write is missing"}}`,
			"GET /users/usr_1013: 403 Forbidden: scope users:write is missing"},
		{"empty message, error string", "GET", 403, `{"message":"","error":"denied"}`,
			"GET /users/usr_1013: 403 Forbidden: denied"},
		{"errors string", "PUT", 400, `{"errors":"user not found"}`,
			"PUT /users/usr_1013: 400 Bad Request: user not found"},
		{"errors strings", "PUT", 400, `{"errors":["name is required","email is invalid"]}`,
			"PUT /users/usr_1013: 400 Bad Request: name is required; email is invalid"},
		{"errors objects", "PUT", 400, `{"errors":[{"message":"name is required"},{"code":7,"message":"email is invalid"}]}`,
			"PUT /users/usr_1013: 400 Bad Request: name is required; email is invalid"},
		{"errors objects with field", "PUT", 400, `{"errors":[{"field":"email","message":"is invalid"}]}`,
			"PUT /users/usr_1013: 400 Bad Request: email: is invalid"},
		{"errors Laravel map", "PUT", 400, `{"errors":{"name":["nameは必須です。"],"email":["形式が不正です。","長すぎます。"]}}`,
			"PUT /users/usr_1013: 400 Bad Request: email: 形式が不正です。; email: 長すぎます。; name: nameは必須です。"},
		{"errors Laravel map with message", "PUT", 422, `{"message":"The given data was invalid.","errors":{"name":["nameは必須です。"]}}`,
			"PUT /users/usr_1013: 422 Unprocessable Entity: The given data was invalid.; name: nameは必須です。"},
		{"errors Laravel map, 422", "PUT", 422, `{"errors":{"name":["nameは必須です。"],"mail":"The mail must be a valid email address."}}`,
			"PUT /users/usr_1013: 422 Unprocessable Entity: mail: The mail must be a valid email address.; name: nameは必須です。"},
		{"errors objects with field, 422", "POST", 422, `{"errors":[{"field":"email","message":"is invalid"},{"field":"name","message":"is required"}]}`,
			"POST /users/usr_1013: 422 Unprocessable Entity: email: is invalid; name: is required"},
		{"JSON:API errors, 422", "POST", 422, `{"errors":[{"status":"422","source":{"pointer":"/data/attributes/email"},"title":"Invalid Attribute","detail":"is invalid"}]}`,
			"POST /users/usr_1013: 422 Unprocessable Entity: email: is invalid"},
		{"FastAPI detail list, 422", "POST", 422, `{"detail":[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"}]}`,
			"POST /users/usr_1013: 422 Unprocessable Entity: body.name: field required"},
		{"error object with field errors, 422", "POST", 422, `{"error":{"message":"Validation failed","errors":[{"field":"name","message":"required"}]}}`,
			"POST /users/usr_1013: 422 Unprocessable Entity: Validation failed; name: required"},
		{"detail (SCIM)", "GET", 404, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"Resource usr_1013 not found","status":"404"}`,
			"GET /users/usr_1013: 404 Not Found: Resource usr_1013 not found"},
		{"detail over title (RFC 7807)", "GET", 409, `{"type":"about:blank","title":"Conflict","detail":"login taken"}`,
			"GET /users/usr_1013: 409 Conflict: login taken"},
		{"title only", "GET", 400, `{"type":"about:blank","title":"Invalid filter","status":400}`,
			"GET /users/usr_1013: 400 Bad Request: Invalid filter"},
		{"OAuth2", "POST", 400, `{"error":"invalid_client","error_description":"Client authentication failed"}`,
			"POST /users/usr_1013: 400 Bad Request: Client authentication failed"},
		{"msg", "GET", 400, `{"code":40001,"msg":"invalid department id"}`,
			"GET /users/usr_1013: 400 Bad Request: invalid department id"},
		{"top-level list", "GET", 400, `[{"message":"bad filter"}]`,
			"GET /users/usr_1013: 400 Bad Request: bad filter"},
		{"top-level string", "GET", 400, `"bad filter"`,
			"GET /users/usr_1013: 400 Bad Request: bad filter"},
		{"no known key: the body", "GET", 400, `{"code": 42, "reason": "quota"}`,
			`GET /users/usr_1013: 400 Bad Request: {"code": 42, "reason": "quota"}`},
		{"message not a string: the body", "GET", 400, `{"message":123}`,
			`GET /users/usr_1013: 400 Bad Request: {"message":123}`},
		{"plain text", "GET", 502, "upstream connect error\nor disconnect",
			"GET /users/usr_1013: 502 Bad Gateway: upstream connect error or disconnect"},
		{"empty", "GET", 400, "  \n",
			"GET /users/usr_1013: 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckResponse(response(tt.method, "/users/usr_1013", tt.status, tt.body))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("no StatusError in %v", err)
			}
			if strings.TrimSpace(tt.body) != "" && se.Message == "" {
				t.Errorf("empty message for body %s", tt.body)
			}
		})
	}
}

func TestErrorListIsBounded(t *testing.T) {
	var items []string
	for i := range 25 {
		items = append(items, `"problem `+string(rune('a'+i))+`"`)
	}
	err := CheckResponse(response("POST", "/users", 400, `{"errors":[`+strings.Join(items, ",")+`]}`))
	if !strings.HasSuffix(err.Error(), "problem j; (15 more)") {
		t.Errorf("error = %v", err)
	}
}
