package ldaptest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/internal/gen"
	"github.com/orgbridge/orgbridge/internal/testsrv"
	"github.com/orgbridge/orgbridge/internal/testtls"
)

// DefaultSuffix is the suffix of a Server started without one.
const DefaultSuffix = "dc=example,dc=jp"

// Reader limits, as Active Directory's defaults: an unpaged search stops at
// ReaderSizeLimit entries (sizeLimitExceeded), a paged one may return any
// number of entries in pages of at most ReaderMaxPageSize (a larger page
// size is refused with adminLimitExceeded).
const (
	ReaderSizeLimit   = 500
	ReaderMaxPageSize = 1000
)

// Timeouts of the harness itself (not of the code under test).
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// Options configures a Server.
type Options struct {
	// Suffix is the naming context; default DefaultSuffix. Its entry is
	// created by Start (dcObject+organization for dc=, organization for
	// o=, organizationalUnit for ou=, country for c=): fixture files must
	// not contain it.
	Suffix string
	// LDIF files are applied in order with `ldapmodify -a` once the server
	// answers, so the overlays run as on a live directory: memberOf is
	// maintained for groupOfNames. A record without changetype is an add;
	// change records (changetype: modify, delete, modrdn) are allowed,
	// which is how a membership cycle is built. Each file is applied as
	// the root DN; the first error fails the test.
	LDIF []string
	// Preload files are loaded with `slapadd -q` before slapd starts: the
	// fastest way to load many entries (the benchmark's 100k users), but
	// no overlay runs, so memberOf is not computed, and the files must
	// hold plain entries (no change records), parents before children.
	Preload []string
	// TLS adds an ldaps:// listener (LDAPSURL) and StartTLS on URL, with
	// a CA (CAFile) and a server certificate for IP 127.0.0.1 generated
	// for this server.
	TLS bool
	// SyncProv adds the syncprov overlay, which keeps the suffix's
	// contextCSN (the newest change's CSN), as on a server that feeds
	// replicas. Without it the suffix has no contextCSN.
	SyncProv bool
}

// Server is a slapd process serving a throwaway directory on loopback.
// Its fields are read-only.
type Server struct {
	// URL is ldap://127.0.0.1:PORT (StartTLS available with Options.TLS).
	URL string
	// LDAPSURL is ldaps://127.0.0.1:PORT with Options.TLS, else "".
	LDAPSURL string
	// CAFile is the PEM CA that signed the server certificate (TLS only).
	CAFile string
	// BaseDN is the suffix.
	BaseDN string
	// BindDN and BindPassword are the root DN: no ACL, no size limit.
	BindDN, BindPassword string
	// ReaderDN and ReaderPassword are an ordinary account that may read
	// everything but is held to ReaderSizeLimit entries per unpaged
	// search and ReaderMaxPageSize entries per page, as a service account
	// on Active Directory is (but a larger page size is refused with
	// adminLimitExceeded, where AD would cap it). Anonymous binds read
	// nothing but the root DSE and the schema.
	ReaderDN, ReaderPassword string
	// Dir holds the configuration, the database, the certificates and
	// slapd.log; ConfigFile is its slapd.conf.
	Dir, ConfigFile string

	tools    tools
	suffix   string
	pwFile   string
	logPath  string
	ldapConf string
	port     int
	tlsPort  int
	tls      bool
	syncprov bool
	seq      int // Modify file counter

	mu   sync.Mutex
	proc *process
}

// process is one run of slapd.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait returns
	err  error         // cmd.Wait's result, set before done is closed
}

// Start starts slapd in t.TempDir() on free loopback ports, loads
// opts.Preload with slapadd before the start and opts.LDIF with ldapmodify
// after it, and waits until it answers. It stops the server on t.Cleanup.
// It calls Require first: a missing slapd skips the test, or fails it
// under CI.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	tl, _ := getTools()
	s := &Server{tools: tl, tls: opts.TLS, syncprov: opts.SyncProv}
	s.suffix = opts.Suffix
	if s.suffix == "" {
		s.suffix = DefaultSuffix
	}
	s.BaseDN = s.suffix
	s.BindDN = "cn=admin," + s.suffix
	s.ReaderDN = "cn=reader," + s.suffix
	s.BindPassword = randomPassword()
	s.ReaderPassword = randomPassword()
	s.Dir = t.TempDir()
	s.ConfigFile = filepath.Join(s.Dir, "slapd.conf")
	s.pwFile = filepath.Join(s.Dir, "bind.pw")
	s.logPath = filepath.Join(s.Dir, "slapd.log")
	s.ldapConf = filepath.Join(s.Dir, "ldap.conf")
	// Registered after TempDir, so it runs before the directory is
	// removed.
	t.Cleanup(func() { s.stop() })

	if err := s.prepare(); err != nil {
		t.Fatalf("ldaptest: %v", err)
	}
	if err := s.slapadd(s.baseLDIF()); err != nil {
		t.Fatalf("ldaptest: loading the suffix entry: %v", err)
	}
	for _, f := range opts.Preload {
		if err := s.slapaddFile(f); err != nil {
			t.Fatalf("ldaptest: slapadd %s: %v", f, err)
		}
	}
	if err := s.startWithRetry(); err != nil {
		t.Fatalf("ldaptest: %v", err)
	}
	for _, f := range opts.LDIF {
		if err := s.ldapmodify(f); err != nil {
			t.Fatalf("ldaptest: loading %s: %v", f, err)
		}
	}
	return s
}

func randomPassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// prepare writes slapd.conf, the password file, the client configuration
// and, with TLS, the certificates.
func (s *Server) prepare() error {
	if err := os.Mkdir(filepath.Join(s.Dir, "db"), 0o700); err != nil {
		return err
	}
	// ldapmodify -y reads the file verbatim: no trailing newline.
	if err := os.WriteFile(s.pwFile, []byte(s.BindPassword), 0o600); err != nil {
		return err
	}
	var tf testtls.Files
	if s.tls {
		var err error
		if tf, err = testtls.Write(filepath.Join(s.Dir, "tls"), "127.0.0.1", "::1", "localhost"); err != nil {
			return fmt.Errorf("TLS files: %w", err)
		}
		s.CAFile = tf.CA
	}
	if err := os.WriteFile(s.ConfigFile, []byte(s.config(tf)), 0o600); err != nil {
		return err
	}
	conf := "# ldap.conf for the ldap-utils run against this server (see ClientEnv)\n"
	if s.tls {
		conf += "TLS_CACERT " + s.CAFile + "\nTLS_REQCERT demand\n"
	}
	return os.WriteFile(s.ldapConf, []byte(conf), 0o644)
}

// quote returns s as a slapd.conf argument.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (s *Server) config(tf testtls.Files) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# slapd.conf written by orgbridge's ldaptest; a throwaway server.")
	for _, f := range schemaFiles {
		w("include %s", quote(filepath.Join(s.tools.schemaDir, f)))
	}
	if s.tools.moduleDir != "" {
		w("modulepath %s", quote(s.tools.moduleDir))
		w("moduleload back_mdb")
		w("moduleload memberof")
		w("moduleload ppolicy")
		if s.syncprov {
			w("moduleload syncprov")
		}
	}
	w("pidfile %s", quote(filepath.Join(s.Dir, "slapd.pid")))
	w("argsfile %s", quote(filepath.Join(s.Dir, "slapd.args")))
	w("sizelimit %d", ReaderSizeLimit)
	if s.tls {
		w("TLSCACertificateFile %s", quote(tf.CA))
		w("TLSCertificateFile %s", quote(tf.Cert))
		w("TLSCertificateKeyFile %s", quote(tf.Key))
		w("TLSVerifyClient never")
	}
	// Anyone may read the root DSE and the schema (the readiness probe,
	// clients discovering controls); everything else needs a bind.
	w("access to dn.base=\"\" by * read")
	w("access to dn.base=\"cn=Subschema\" by * read")
	w("")
	w("database mdb")
	w("suffix %s", quote(s.suffix))
	w("rootdn %s", quote(s.BindDN))
	w("rootpw %s", quote(s.BindPassword))
	w("directory %s", quote(filepath.Join(s.Dir, "db")))
	// A sparse map: room for a few million entries, costs nothing.
	w("maxsize 17179869184")
	w("dbnosync")
	w("limits dn.exact=%s size=unlimited size.pr=unlimited size.prtotal=unlimited time=unlimited", quote(s.BindDN))
	w("limits dn.exact=%s size.soft=%d size.hard=%d size.pr=%d size.prtotal=unlimited", quote(s.ReaderDN), ReaderSizeLimit, ReaderSizeLimit, ReaderMaxPageSize)
	w("index objectClass eq")
	w("index uid,mail eq")
	w("index member,uniqueMember,memberUid,memberOf eq")
	w("index entryUUID,entryCSN eq")
	w("access to attrs=userPassword by self write by anonymous auth by * none")
	w("access to * by users read by * none")
	// memberof keeps memberOf of groupOfNames members (users and nested
	// groups); refint drops it when a member is deleted or renamed.
	w("overlay memberof")
	w("memberof-group-oc groupOfNames")
	w("memberof-member-ad member")
	w("memberof-memberof-ad memberOf")
	w("memberof-refint TRUE")
	// ppolicy brings pwdAccountLockedTime (a locked account); no default
	// policy, so nothing is enforced on binds.
	w("overlay ppolicy")
	if s.syncprov {
		w("overlay syncprov")
	}
	return b.String()
}

// baseLDIF is the suffix entry and the reader account.
func (s *Server) baseLDIF() []byte {
	var buf bytes.Buffer
	w := gen.NewLDIFWriter(&buf, 0)
	rdnAttr, rdnValue := firstRDN(s.suffix)
	attrs := [][2]string{}
	switch strings.ToLower(rdnAttr) {
	case "dc":
		attrs = append(attrs, [2]string{"objectClass", "dcObject"}, [2]string{"objectClass", "organization"},
			[2]string{"dc", rdnValue}, [2]string{"o", rdnValue})
	case "o":
		attrs = append(attrs, [2]string{"objectClass", "organization"}, [2]string{"o", rdnValue})
	case "ou":
		attrs = append(attrs, [2]string{"objectClass", "organizationalUnit"}, [2]string{"ou", rdnValue})
	case "c":
		attrs = append(attrs, [2]string{"objectClass", "country"}, [2]string{"c", rdnValue})
	default:
		// Let slapadd say what is wrong with it.
		attrs = append(attrs, [2]string{"objectClass", "top"}, [2]string{rdnAttr, rdnValue})
	}
	w.Entry(s.suffix, attrs...)
	w.Entry(s.ReaderDN,
		[2]string{"objectClass", "organizationalRole"},
		[2]string{"objectClass", "simpleSecurityObject"},
		[2]string{"cn", "reader"},
		[2]string{"description", "ldaptest: an ordinary account with AD-like size limits"},
		[2]string{"userPassword", s.ReaderPassword})
	w.Flush()
	return buf.Bytes()
}

// firstRDN returns the attribute and the (unescaped) value of dn's first
// RDN.
func firstRDN(dn string) (string, string) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 || len(parsed.RDNs[0].Attributes) == 0 {
		return "", dn
	}
	a := parsed.RDNs[0].Attributes[0]
	return a.Type, a.Value
}

func (s *Server) slapadd(ldif []byte) error {
	f := filepath.Join(s.Dir, "base.ldif")
	if err := os.WriteFile(f, ldif, 0o600); err != nil {
		return err
	}
	return s.slapaddFile(f)
}

func (s *Server) slapaddFile(path string) error {
	cmd := exec.Command(s.tools.slapadd, "-q", "-f", s.ConfigFile, "-l", path)
	cmd.Env = s.toolEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s%s", err, bytes.TrimSpace(out), apparmorHint(string(out)))
	}
	return nil
}

// apparmorHint explains a "Permission denied" from slapd or slapadd (the
// same binary): Ubuntu's slapd package confines /usr/sbin/slapd with an
// AppArmor profile that keeps it out of temp directories.
func apparmorHint(log string) string {
	if !strings.Contains(log, "Permission denied") {
		return ""
	}
	return "\n(an AppArmor profile may confine slapd to its own directories, as Ubuntu's does: " +
		"`aa-complain /usr/sbin/slapd` (apparmor-utils) or `apparmor_parser -R /etc/apparmor.d/usr.sbin.slapd` lifts it)"
}

// toolEnv is the environment of the harness's own ldap-utils runs: no
// ldap.conf or ldaprc of the machine or the user is read.
func (s *Server) toolEnv() []string {
	return append(os.Environ(), "LDAPNOINIT=1")
}

// ClientEnv returns the environment for running ldapsearch and the other
// ldap-utils against this server: the machine's and the user's ldap.conf
// and ldaprc are not read, and with TLS the CA is trusted
// (TLS_REQCERT demand). Connect to 127.0.0.1, not localhost.
func (s *Server) ClientEnv() []string {
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LDAP") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LDAPCONF="+s.ldapConf, "LDAPRC=ldaptest-no-ldaprc")
}

// TLSConfig returns a new client TLS configuration that trusts the
// server's CA and checks the name 127.0.0.1 (for ldaps:// and StartTLS
// alike). It is nil without Options.TLS.
func (s *Server) TLSConfig() *tls.Config {
	if !s.tls {
		return nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		panic(err) // written by Start; only a test deleting Dir gets here
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// startWithRetry runs slapd on ports the kernel picks: another process
// may take one before slapd binds it, and then other ports are tried.
func (s *Server) startWithRetry() error {
	n := 1
	if s.tls {
		n = 2
	}
	return testsrv.OnFreePorts(n, func(ports []int) error {
		s.port = ports[0]
		if s.tls {
			s.tlsPort = ports[1]
		}
		return s.run()
	})
}

// run starts slapd on s.port (and s.tlsPort) and waits until it answers.
func (s *Server) run() error {
	s.URL = "ldap://127.0.0.1:" + strconv.Itoa(s.port)
	urls := s.URL + "/"
	if s.tls {
		s.LDAPSURL = "ldaps://127.0.0.1:" + strconv.Itoa(s.tlsPort)
		urls += " " + s.LDAPSURL + "/"
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	// -d keeps slapd in the foreground; "none" prints only its errors
	// (ORGBRIDGE_SLAPD_DEBUG=stats, say, for more).
	level := os.Getenv("ORGBRIDGE_SLAPD_DEBUG")
	if level == "" {
		level = "none"
	}
	cmd := exec.Command(s.tools.slapd, "-d", level, "-h", urls, "-f", s.ConfigFile)
	cmd.Env = s.toolEnv()
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.tools.slapd, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.done:
			log := s.logTail()
			if strings.Contains(log, "Address already in use") {
				return testsrv.ErrAddrInUse
			}
			return fmt.Errorf("slapd exited before answering (%v); %s:\n%s%s", p.err, s.logPath, log, apparmorHint(log))
		default:
		}
		if s.ping() == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("slapd did not answer on %s within %s; %s:\n%s", s.URL, startTimeout, s.logPath, s.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping reads the root DSE on every listener.
func (s *Server) ping() error {
	urls := []string{s.URL}
	if s.LDAPSURL != "" {
		urls = append(urls, s.LDAPSURL)
	}
	for _, u := range urls {
		c, err := ldap.DialURL(u,
			ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}),
			ldap.DialWithTLSConfig(s.TLSConfig()))
		if err != nil {
			return err
		}
		c.SetTimeout(2 * time.Second)
		_, err = c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 2, false,
			"(objectClass=*)", []string{"namingContexts"}, nil))
		c.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(bytes.TrimSpace(b))
}

// ldapmodify applies an LDIF file as the root DN; records without a
// changetype are adds.
func (s *Server) ldapmodify(path string) error {
	cmd := exec.Command(s.tools.ldapmodify, "-a", "-x", "-H", s.URL, "-D", s.BindDN, "-y", s.pwFile, "-f", path)
	cmd.Env = s.toolEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ldapmodify: %w\n%s", err, testsrv.LastLines(string(out), 20))
	}
	return nil
}

// Modify applies LDIF to the running server with `ldapmodify -a` as the
// root DN: change records (changetype: modify, delete, modrdn, add), and
// records without a changetype, which are adds. The overlays run (memberOf
// follows member changes). An error fails the test.
func (s *Server) Modify(t testing.TB, ldif string) {
	t.Helper()
	s.mu.Lock()
	s.seq++
	path := filepath.Join(s.Dir, fmt.Sprintf("modify-%03d.ldif", s.seq))
	s.mu.Unlock()
	if err := os.WriteFile(path, []byte(ldif), 0o600); err != nil {
		t.Fatalf("ldaptest: %v", err)
	}
	if err := s.ldapmodify(path); err != nil {
		t.Fatalf("ldaptest: Modify: %v\nLDIF:\n%s", err, ldif)
	}
}

// Stop stops slapd (SIGTERM, then SIGKILL after 10 s) and waits for it to
// exit: connections open to it are dropped. Stopping a stopped server does
// nothing. The directory is kept, so Restart serves the same data.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("ldaptest: %v", err)
	}
}

// Restart starts a stopped server again on the same ports with the same
// data, and waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running := s.proc != nil
	s.mu.Unlock()
	if running {
		if err := s.stop(); err != nil {
			t.Fatalf("ldaptest: %v", err)
		}
	}
	if err := s.run(); err != nil {
		t.Fatalf("ldaptest: restart: %v", err)
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil // already gone
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("slapd (pid %d) ignored SIGTERM for %s and was killed; %s:\n%s", p.cmd.Process.Pid, stopTimeout, s.logPath, s.logTail())
}

// CPUTime is the CPU time (user and system) the running slapd has used
// so far, or 0 when it is not running or the platform does not say (only
// Linux does): benchmarks compare it before and after a read.
func (s *Server) CPUTime() time.Duration {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return 0
	}
	return procCPUTime(p.cmd.Process.Pid)
}

// parseStatCPU returns utime + stime of a /proc/<pid>/stat line, in clock
// ticks of 1/100 s (USER_HZ, fixed for /proc on Linux); 0 when malformed.
func parseStatCPU(stat string) time.Duration {
	// The fields after the command name, which is in parentheses and may
	// hold spaces and parentheses: state is field 3, utime 14, stime 15.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || ut < 0 || st < 0 {
		return 0
	}
	return time.Duration(ut+st) * (time.Second / 100)
}

// Conn dials the server (URL, plain) and binds as the root DN. The
// connection is closed on t.Cleanup.
func (s *Server) Conn(t testing.TB) *ldap.Conn {
	t.Helper()
	return BindConn(t, s.URL, s.BindDN, s.BindPassword)
}

// BindConn dials url and binds as bindDN, failing the test if either
// fails; the connection is closed on t.Cleanup. adtest's DC.Conn is it too.
func BindConn(t testing.TB, url, bindDN, password string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(url, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(bindDN, password); err != nil {
		t.Fatalf("bind to %s as %s: %v", url, bindDN, err)
	}
	return c
}
