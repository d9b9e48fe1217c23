package adtest

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/connectors/ldap/ldaptest"
	"github.com/orgbridge/orgbridge/internal/testsrv"
	"github.com/orgbridge/orgbridge/internal/testtls"
)

// InstallCommand installs what a DC needs on Debian 12 / Ubuntu (run as
// root). samba-dsdb-modules and samba-ad-provision, without which a DC
// cannot be provisioned, are only Recommends of samba: do not add
// --no-install-recommends, or name them too.
const InstallCommand = "DEBIAN_FRONTEND=noninteractive apt-get install -y samba winbind krb5-user"

// The DC's fixed ports: AD clients expect them, and Samba cannot move them.
// In the DC's own network namespace they are its own; DC.URL and
// DC.LDAPSURL reach them through forwarders on ports the kernel picks.
const (
	ldapAddr  = "127.0.0.1:389"
	ldapsAddr = "127.0.0.1:636"
)

// DC is a running Samba Active Directory domain controller loaded with the
// fixtures of this package. It is shared by every test of a test binary:
// tests must not change what other tests read (see MutableUser).
type DC struct {
	// URL is plain LDAP (ldap://127.0.0.1:PORT, a port the kernel picked,
	// carried to 389 in the DC's namespace). StartTLS works on it.
	URL string
	// LDAPSURL is LDAP over TLS (ldaps://127.0.0.1:PORT, carried to 636),
	// with a certificate for IP 127.0.0.1 (and dc1.example.test,
	// localhost) signed by the CA in CAFile.
	LDAPSURL string
	// RangedURL is plain LDAP through a proxy that answers like Windows AD
	// with MaxValRange 1500 (Samba itself returns every value of an
	// attribute asked for without a range option): use it to test range
	// retrieval. No StartTLS through it.
	RangedURL string
	// CAFile is the PEM of the CA that signed the DC's certificate.
	CAFile string
	// BindDN is Administrator's full DN; BindUPN the same account as
	// Administrator@EXAMPLE.TEST. Both bind with BindPassword.
	BindDN       string
	BindUPN      string
	BindPassword string
	// BaseDN is the domain's naming context, DC=example,DC=test.
	BaseDN string
	// Dir holds the DC (private/sam.ldb, etc/smb.conf, samba.log,
	// fixtures.ldif); ConfFile is its smb.conf.
	Dir      string
	ConfFile string
	// Timings of the setup, for reports.
	Timings Timings

	python, sambaTool string
	proxy             *rangeProxy
	// ns is the DC's network namespace (nil: the machine's, where
	// unshare is refused); forwarders carry URL and LDAPSURL into it.
	ns         *netns
	forwarders []*forwarder
	proc       *process
	unlock     func()
}

// dial reaches addr where samba listens: in its namespace, or on the
// machine.
func (dc *DC) dial(network, addr string) (net.Conn, error) {
	if dc.ns != nil {
		return dc.ns.dial(network, addr)
	}
	return net.Dial(network, addr)
}

// Timings of one DC's setup.
type Timings struct {
	Provision time.Duration // samba-tool domain provision
	Load      time.Duration // the fixtures, offline
	Start     time.Duration // samba until LDAP answers
	Total     time.Duration // including waiting for the machine's DC lock
}

func (t Timings) String() string {
	return fmt.Sprintf("provision %.1fs, fixtures %.1fs, start %.1fs, total %.1fs",
		t.Provision.Seconds(), t.Load.Seconds(), t.Start.Seconds(), t.Total.Seconds())
}

//go:embed load.py
var loadPy []byte

//go:embed guids.py
var guidsPy []byte

var (
	shared    *DC
	sharedErr error
	sharedMu  sync.Mutex
)

// Start returns the test binary's DC, provisioning and starting it on the
// first call (about 11 s: see the package doc) and returning the same DC
// afterwards. It skips or fails the test as Require does when Samba is not
// available, and fails it when the DC cannot be started (and every later
// Start fails the same way, without retrying).
//
// The DC outlives the test that started it: it is stopped when the test
// binary exits (samba gets SIGTERM as its parent-death signal), or
// by Stop from a TestMain.
func Start(t testing.TB) *DC {
	t.Helper()
	Require(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start(t)
		if sharedErr == nil {
			t.Logf("adtest: Samba AD DC ready in %s: %s", shared.Dir, shared.Timings)
		}
	}
	if sharedErr != nil {
		t.Fatalf("adtest: %v", sharedErr)
	}
	return shared
}

// Stop stops the shared DC if one was started. Start after Stop starts a
// fresh one.
func Stop() error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		return nil
	}
	err := shared.stop()
	shared, sharedErr = nil, nil
	return err
}

// Require skips the test when this machine cannot run a Samba DC (not
// Linux, not root, samba or samba-tool missing), or when
// ORGBRIDGE_SKIP_AD=1; with CI=true it fails instead (CI must install
// Samba: InstallCommand).
func Require(t testing.TB) {
	t.Helper()
	err := available()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("adtest: %v; CI must install Samba: %s", err, InstallCommand)
	}
	t.Skipf("adtest: %v (to run the AD tests: %s)", err, InstallCommand)
}

func available() error {
	if os.Getenv("ORGBRIDGE_SKIP_AD") == "1" {
		if os.Getenv("CI") == "true" {
			return errors.New("ORGBRIDGE_SKIP_AD=1 is not allowed in CI")
		}
		return errors.New("ORGBRIDGE_SKIP_AD=1")
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("a Samba DC runs on Linux only, not %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("a Samba DC must run as root (it binds ports 389, 636, 88 ...)")
	}
	for _, p := range []string{"samba", "samba-tool"} {
		if _, err := lookPath(p); err != nil {
			return err
		}
	}
	return nil
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/samba/sbin", "/usr/local/samba/bin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in $PATH or /usr/sbin", name)
}

// pythonOf returns the interpreter of samba-tool's "#!" line: the one with
// Samba's Python bindings (a pyenv python3 on $PATH has none).
func pythonOf(sambaTool string) (string, error) {
	f, err := os.Open(sambaTool)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if !strings.HasPrefix(line, "#!") || len(fields) == 0 {
		return "", fmt.Errorf("%s: no #! line", sambaTool)
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		return exec.LookPath(fields[1])
	}
	return fields[0], nil
}

// start provisions, loads and starts a DC; t is told about waits.
func start(t testing.TB) (_ *DC, err error) {
	t.Helper()
	t0 := time.Now()
	dc := &DC{
		URL:          "ldap://" + ldapAddr,
		LDAPSURL:     "ldaps://" + ldapsAddr,
		BindDN:       "CN=Administrator,CN=Users," + BaseDN,
		BindUPN:      "Administrator@" + Realm,
		BindPassword: AdminPassword,
		BaseDN:       BaseDN,
		Dir:          filepath.Join(os.TempDir(), "orgbridge-adtest-dc"),
	}
	dc.ConfFile = filepath.Join(dc.Dir, "etc", "smb.conf")
	samba, err := lookPath("samba")
	if err != nil {
		return nil, err
	}
	if dc.sambaTool, err = lookPath("samba-tool"); err != nil {
		return nil, err
	}
	if dc.python, err = pythonOf(dc.sambaTool); err != nil {
		return nil, err
	}

	// One DC per machine: the ports are fixed. Test binaries of several
	// packages run at once under go test ./..., so they take turns.
	if dc.unlock, err = lockMachine(filepath.Join(os.TempDir(), "orgbridge-adtest.lock"), 10*time.Minute, t); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			dc.stop()
		}
	}()
	stopStale(dc.Dir)
	// A namespace of its own: the machine's port 389 may be anyone's.
	// Where it cannot be had (a container without CAP_SYS_ADMIN), the DC
	// binds the machine's ports, which must then be free.
	if dc.ns, err = newNetns(); err != nil {
		t.Logf("adtest: no network namespace of its own (%v): the DC binds the machine's %s", err, ldapAddr)
		if err := waitPortFree(ldapAddr, 20*time.Second); err != nil {
			return nil, err
		}
	}
	if err := os.RemoveAll(dc.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dc.Dir, 0o700); err != nil {
		return nil, err
	}

	t1 := time.Now()
	if err := dc.provision(); err != nil {
		return nil, err
	}
	dc.Timings.Provision = time.Since(t1)

	t1 = time.Now()
	if err := dc.load(); err != nil {
		return nil, err
	}
	dc.Timings.Load = time.Since(t1)

	t1 = time.Now()
	if err := dc.run(samba); err != nil {
		return nil, err
	}
	dc.Timings.Start = time.Since(t1)

	if dc.proxy, err = startRangeProxy(ldapAddr, dc.dial, MaxValRange); err != nil {
		return nil, err
	}
	dc.RangedURL = "ldap://" + dc.proxy.addr()
	dc.Timings.Total = time.Since(t0)
	return dc, nil
}

func (dc *DC) provision() error {
	d := dc.Dir
	args := []string{"domain", "provision",
		"--targetdir=" + d,
		"--realm=" + Realm, "--domain=" + Domain,
		"--server-role=dc", "--dns-backend=SAMBA_INTERNAL",
		"--adminpass=" + AdminPassword,
		"--use-rfc2307", "--host-name=dc1",
		"--option=interfaces=lo", "--option=bind interfaces only=yes",
		"--option=log file=" + filepath.Join(d, "log", "%m.log"),
		"--option=pid directory=" + filepath.Join(d, "pid"),
		"--option=ncalrpc dir=" + filepath.Join(d, "ncalrpc"),
		"--option=winbindd socket directory=" + filepath.Join(d, "winbindd"),
		"--option=ntp signd socket directory=" + filepath.Join(d, "ntp_signd"),
	}
	if out, err := runLogged(filepath.Join(d, "provision.log"), dc.sambaTool, args...); err != nil {
		return fmt.Errorf("samba-tool domain provision: %w\n%s", err, out)
	}
	tls, err := testtls.Write(filepath.Join(d, "tls"), "dc1.example.test", "127.0.0.1", "localhost")
	if err != nil {
		return err
	}
	dc.CAFile = tls.CA
	// Options that provision does not take: plain simple binds (the tests
	// use ldap:// too), no fsync, our certificate (Samba's generated one
	// has no IP address, which Go's TLS rejects).
	extra := strings.Join([]string{
		"\tldap server require strong auth = no",
		"\tldb:nosync = true",
		"\ttls enabled = yes",
		"\ttls keyfile = " + tls.Key,
		"\ttls certfile = " + tls.Cert,
		"\ttls cafile = " + tls.CA,
	}, "\n")
	conf, err := os.ReadFile(dc.ConfFile)
	if err != nil {
		return err
	}
	if !bytes.Contains(conf, []byte("[global]\n")) {
		return fmt.Errorf("%s: no [global] section", dc.ConfFile)
	}
	conf = bytes.Replace(conf, []byte("[global]\n"), []byte("[global]\n"+extra+"\n"), 1)
	return os.WriteFile(dc.ConfFile, conf, 0o644)
}

func (dc *DC) load() error {
	script := filepath.Join(dc.Dir, "load.py")
	ldif := filepath.Join(dc.Dir, "fixtures.ldif")
	if err := os.WriteFile(script, loadPy, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(ldif, []byte(fixtureLDIF()), 0o600); err != nil {
		return err
	}
	if out, err := runLogged(filepath.Join(dc.Dir, "load.log"), dc.python, script, dc.ConfFile, ldif); err != nil {
		return fmt.Errorf("loading %s: %w\n%s", ldif, err, out)
	}
	return nil
}

func (dc *DC) run(samba string) error {
	logPath := filepath.Join(dc.Dir, "samba.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	// -F: foreground; no -i (it exits when stdin closes). Only the LDAP,
	// KDC, RPC and the services they need: no file server, NetBIOS, WINS,
	// DNS, NTP signing or KCC.
	cmd := exec.Command(samba, "-F", "--debug-stdout", "-s", dc.ConfFile,
		"--option=server services=-s3fs -nbt -wrepl -dns -dnsupdate -ntp_signd -kcc")
	cmd.Dir = dc.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if dc.proc, err = startProcess(cmd, dc.ns); err != nil {
		return fmt.Errorf("starting samba: %w", err)
	}
	if dc.ns != nil {
		for _, u := range []struct {
			url    *string
			scheme string
			addr   string
		}{{&dc.URL, "ldap://", ldapAddr}, {&dc.LDAPSURL, "ldaps://", ldapsAddr}} {
			f, err := startForwarder(u.addr, dc.ns.dial, nil)
			if err != nil {
				return err
			}
			dc.forwarders = append(dc.forwarders, f)
			*u.url = u.scheme + f.addr()
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := pingLDAP(dc.URL)
		if err == nil {
			return nil
		}
		select {
		case werr := <-dc.proc.done:
			dc.proc = nil
			return fmt.Errorf("samba exited (%v) before LDAP answered; %s:\n%s", werr, logPath, tail(logPath, 30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("samba's LDAP did not answer on %s within 60s (%w); %s:\n%s", dc.URL, err, logPath, tail(logPath, 30))
		}
	}
}

func pingLDAP(url string) error {
	c, err := ldap.DialURL(url, ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(2 * time.Second)
	_, err = c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"defaultNamingContext"}, nil))
	return err
}

// stop stops samba (SIGTERM to its process group, SIGKILL after 20 s),
// the proxy, and releases the machine lock.
func (dc *DC) stop() error {
	var err error
	if dc.proxy != nil {
		dc.proxy.close()
		dc.proxy = nil
	}
	for _, f := range dc.forwarders {
		f.close()
	}
	dc.forwarders = nil
	if dc.proc != nil {
		err = dc.proc.stop(20 * time.Second)
		dc.proc = nil
	}
	if dc.ns != nil {
		dc.ns.close()
		dc.ns = nil
	}
	if dc.unlock != nil {
		dc.unlock()
		dc.unlock = nil
	}
	return err
}

// Conn returns a connection to URL bound as Administrator, closed when the
// test ends.
func (dc *DC) Conn(t testing.TB) *ldap.Conn {
	t.Helper()
	return ldaptest.BindConn(t, dc.URL, dc.BindDN, dc.BindPassword)
}

// SambaTool runs samba-tool with args and --configfile=<the DC's
// smb.conf> after them, and returns its standard output; it fails the test
// on error. It reads the DC's database directly, while samba runs.
func (dc *DC) SambaTool(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dc.sambaTool, append(args, "--configfile="+dc.ConfFile)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("adtest: samba-tool %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// ObjectGUID returns the objectGUID of the user or group named sam as
// samba-tool prints it (lower-case 8-4-4-4-12, the first three groups
// little-endian, as Windows prints GUIDs): an oracle independent of any
// Go conversion.
func (dc *DC) ObjectGUID(t testing.TB, sam string) string {
	t.Helper()
	kind := "user"
	for _, g := range Groups {
		if g.SAM == sam {
			kind = "group"
		}
	}
	out := dc.SambaTool(t, kind, "show", sam, "--attributes=objectGUID")
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "objectGUID: "); ok {
			return strings.ToLower(strings.TrimSpace(v))
		}
	}
	t.Fatalf("adtest: samba-tool %s show %s: no objectGUID in\n%s", kind, sam, out)
	return ""
}

// GUIDs returns the objectGUID of every user and group of the DC by
// sAMAccountName, rendered by Samba's own GUID type (as ObjectGUID, in one
// process: about 1 s for the 1,610 fixture objects).
func (dc *DC) GUIDs(t testing.TB) map[string]string {
	t.Helper()
	script := filepath.Join(dc.Dir, "guids.py")
	if err := os.WriteFile(script, guidsPy, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dc.python, script, dc.ConfFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("adtest: %s: %v\n%s", script, err, stderr.String())
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		sam, guid, ok := strings.Cut(line, "\t")
		if ok {
			m[sam] = strings.ToLower(guid)
		}
	}
	return m
}

func runLogged(logPath, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o600)
	if err != nil {
		return testsrv.LastLines(string(out), 30), err
	}
	return "", nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return testsrv.LastLines(string(b), n)
}

// waitPortFree waits until nothing accepts connections on addr.
func waitPortFree(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is in use by another program (another domain controller or an LDAP server on the standard port?); a Samba DC needs it", addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
