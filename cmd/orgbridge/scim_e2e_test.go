package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
)

const scimToken = "e2e-scim-token-5f0c"

// scimConfig is configs/scim.yaml pointed at a test emulator, on a free
// port, without TLS, with the given debounce.
func scimConfig(t testing.TB, dir, emulatorURL, debounce string) string {
	t.Helper()
	data, err := configs.Files.ReadFile("scim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	s = regexp.MustCompile(`(?m)^  listen: \S+`).ReplaceAllString(s, "  listen: 127.0.0.1:0")
	s = regexp.MustCompile(`(?m)^  tls:\n(    .*\n)+`).ReplaceAllString(s, "")
	s = strings.Replace(s, "http://127.0.0.1:8081", emulatorURL, 1)
	s = regexp.MustCompile(`debounce: \S+`).ReplaceAllString(s, "debounce: "+debounce)
	s = regexp.MustCompile(`max_delay: \S+`).ReplaceAllString(s, "max_delay: "+debounce)
	path := filepath.Join(dir, "scim.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// daemon is one `orgbridge serve` running in process.
type daemon struct {
	t      testing.TB
	base   string
	admin  string
	logs   *observer.ObservedLogs // what the daemon logged
	cancel context.CancelFunc
	done   chan error
}

func startServe(t testing.TB, cfgPath string) *daemon {
	t.Helper()
	file, err := registry.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	a := &app{stdout: io.Discard, stderr: io.Discard, logger: zaptest.NewLogger(t, zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewTee(c, core)
	})))}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan listening, 1)
	d := &daemon{t: t, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { d.done <- a.serveDaemon(ctx, cfgPath, file, ready) }()
	select {
	case l := <-ready:
		d.base = "http://" + l.SCIM + "/scim/v2"
		d.admin = "http://" + l.Admin
	case err := <-d.done:
		t.Fatalf("serve: %v", err)
	}
	return d
}

func (d *daemon) stop() {
	d.t.Helper()
	d.cancel()
	if err := <-d.done; err != nil {
		d.t.Fatalf("serve ended with %v", err)
	}
}

// push sends one SCIM request as an identity provider would.
func (d *daemon) push(method, path, body string, want int) map[string]any {
	d.t.Helper()
	req, err := http.NewRequest(method, d.base+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+scimToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		d.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			d.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return out
}

// eventually polls the emulator until cond holds. The deadline is a hang
// guard, not a performance assertion: the time taken is logged.
func eventually(t *testing.T, emu *emulator.Server, what string, cond func(view) bool) {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond(newView(emu.State())) {
			t.Logf("%s: in AirCourse after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
	}
	t.Fatalf("%s: not in AirCourse after a minute", what)
}

func userJSON(userName, display, active, employee string) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"userName":%q,"externalId":%q,"active":%q,"displayName":%q,
		"name":{"givenName":"x","familyName":"y"},
		"emails":[{"value":%q,"type":"work","primary":true}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":%q,"department":"営業部"}}`,
		userName, "ext-"+employee, active, display, userName, employee)
}

// scimSetup starts an AirCourse emulator and sets the secrets the SCIM
// config reads; it returns the emulator, its server and a work directory.
func scimSetup(t testing.TB) (*emulator.Server, *httptest.Server, string) {
	t.Helper()
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv("SCIM_TOKEN", scimToken)
	t.Setenv(demoSecretEnv, demoClientSecret)
	return emu, srv, t.TempDir()
}

// IdP-style pushes against a running `orgbridge serve` show up in AirCourse
// within seconds, and what was acknowledged survives a restart.
func TestEndToEndSCIMServe(t *testing.T) {
	emu, srv, work := scimSetup(t)
	c := cli{t: t, dir: work}
	cfg := scimConfig(t, work, srv.URL, "200ms")
	if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}

	d := startServe(t, cfg)
	// Entra's sequence: look up by externalId, create, group, membership.
	if got := d.push("GET", `/Users?filter=externalId+eq+"ext-1001"`, "", 200); got["totalResults"] != float64(0) {
		t.Fatalf("lookup before create: %v", got)
	}
	alice := d.push("POST", "/Users", userJSON("alice@example.jp", "鈴木 アリス", "True", "1001"), 201)["id"].(string)
	bob := d.push("POST", "/Users", userJSON("bob@example.jp", "佐藤 ボブ", "True", "1002"), 201)["id"].(string)
	group := d.push("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"営業チーム","externalId":"g-1"}`, 201)["id"].(string)
	d.push("PATCH", "/Groups/"+group, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"Add","path":"members","value":[{"value":"`+alice+`"},{"value":"`+bob+`"}]}]}`, 204)
	groupHas := func(v view, name, login string) bool {
		for _, g := range v.st.Groups {
			if g.Name == name {
				_, ok := v.st.GroupMembers[g.ID][v.userByLI[login].ID]
				return ok
			}
		}
		return false
	}
	eventually(t, emu, "two users and their group", func(v view) bool {
		return v.userByLI["alice@example.jp"].Name == "鈴木 アリス" && groupHas(v, "営業チーム", "alice@example.jp") && groupHas(v, "営業チーム", "bob@example.jp")
	})

	// Deactivation with Entra's capitalised op and string boolean, and a
	// membership removed: both follow.
	d.push("PATCH", "/Users/"+bob, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, 204)
	d.push("PATCH", "/Groups/"+group, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"`+bob+`"}]}]}`, 204)
	eventually(t, emu, "bob suspended and out of the group", func(v view) bool {
		return v.userByLI["bob@example.jp"].IsSuspended && !groupHas(v, "営業チーム", "bob@example.jp") && groupHas(v, "営業チーム", "alice@example.jp")
	})
	d.stop()

	// A push acknowledged by a daemon that stops before applying it (its
	// debounce is an hour) is applied by the next start.
	d = startServe(t, scimConfig(t, work, srv.URL, "1h"))
	d.push("PATCH", "/Users/"+alice, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"鈴木 ありす"}}]}`, 204)
	d.stop()
	if v := newView(emu.State()); v.userByLI["alice@example.jp"].Name != "鈴木 アリス" {
		t.Fatalf("the rename was applied before the restart; the test proves nothing")
	}
	d = startServe(t, scimConfig(t, work, srv.URL, "200ms"))
	defer d.stop()
	eventually(t, emu, "the rename acknowledged before the restart", func(v view) bool {
		return v.userByLI["alice@example.jp"].Name == "鈴木 ありす"
	})
	if got := d.push("GET", "/Users/"+alice, "", 200); got["displayName"] != "鈴木 ありす" || got["id"] != alice {
		t.Errorf("after restart the SCIM resource is %v", got)
	}

	// The nightly full run finds nothing left to do.
	emu.ResetStats()
	if code, out, errs := c.run("sync", "-c", cfg); code != exitOK || emu.Stats().Writes != 0 {
		t.Errorf("full sync after the pushes: exit %d, %d writes\n%s\n%s", code, emu.Stats().Writes, out, errs)
	}
}

func TestServeNeedsAnSCIMBlock(t *testing.T) {
	c, _ := setup(t)
	code, _, errs := c.run("serve", "-c", c.config())
	if code != exitUsage || !strings.Contains(errs, "nothing to serve") {
		t.Errorf("serve without a scim block: exit %d, %s", code, errs)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// and returns a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "orgbridge test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "scim-cert.pem"), filepath.Join(dir, "scim-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With scim.tls the endpoint speaks HTTPS only, with the configured
// certificate (named relative to the config file).
func TestServeTLS(t *testing.T) {
	_, srv, work := scimSetup(t)
	_, _, pool := selfSigned(t, work)
	cfg := scimConfig(t, work, srv.URL, "200ms")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "  tokens:\n", "  tls: {cert_file: scim-cert.pem, key_file: scim-key.pem}\n  tokens:\n", 1))
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d := startServe(t, cfg)
	defer d.stop()
	base := strings.Replace(d.base, "http://", "https://", 1)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", base+"/Users", nil)
	req.Header.Set("Authorization", "Bearer "+scimToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTPS GET /Users: %d", resp.StatusCode)
	}
	// Plain HTTP on the TLS port gets no SCIM answer.
	if resp, err := http.Get(d.base + "/Users"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP was served on the TLS listener")
		}
	}
}
