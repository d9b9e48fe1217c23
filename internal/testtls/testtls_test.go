package testtls

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
)

// A client that trusts the CA file accepts the server certificate for every
// host it was made for, and for no other; the key file is private.
func TestWrite(t *testing.T) {
	f, err := Write(t.TempDir()+"/tls", "127.0.0.1", "::1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"localhost", true},
		{"127.0.0.2", false}, {"example.test", false},
	} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: roots})
		if (err == nil) != tc.ok {
			t.Errorf("verify for %s: %v, want ok=%v", tc.host, err, tc.ok)
		}
	}
	if ip := net.ParseIP("127.0.0.1"); leaf.Subject.CommonName != ip.String() {
		t.Errorf("common name %q, want the first host", leaf.Subject.CommonName)
	}
	st, err := os.Stat(f.Key)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestWriteNoHost(t *testing.T) {
	if _, err := Write(t.TempDir()); err == nil {
		t.Error("Write with no host: no error")
	}
}
