package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgbridge/orgbridge/internal/testsrv"
)

// Timeouts of the harness itself (not of the code under test).
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	adminTimeout = 60 * time.Second
)

// Superuser is the role every DSN connects as: initdb's superuser, with
// trust authentication.
const Superuser = "postgres"

// serverSettings are the postgres -c settings of the throwaway server.
var serverSettings = []string{
	"fsync=off",
	"synchronous_commit=off",
	"full_page_writes=off",
	"max_connections=200",
	"logging_collector=off",
}

// runAs is the user initdb and postgres run as when the tests run as root.
type runAs struct {
	name     string
	uid, gid uint32
}

// tools are what a server needs, found once.
type tools struct {
	initdb, postgres string
	user             *runAs // nil: run as the test binary's user
}

var (
	toolsOnce sync.Once
	toolsVal  tools
	toolsErr  error
)

func getTools() (tools, error) {
	toolsOnce.Do(func() { toolsVal, toolsErr = findTools() })
	return toolsVal, toolsErr
}

// binDirGlobs are where packaged servers live beyond $PATH: Debian and
// Ubuntu, PGDG RPMs, source builds.
var binDirGlobs = []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin"}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// hasServer reports whether dir holds initdb and postgres.
func hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

// versionKey extracts the numbers in a path ("/usr/lib/postgresql/15/bin"
// → [15]) so that the newest installed version sorts first.
func versionKey(p string) []int {
	var key []int
	for _, f := range strings.FieldsFunc(p, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(f)
		key = append(key, n)
	}
	return key
}

func findBinDir() (string, error) {
	if d := os.Getenv("ORGBRIDGE_PG_BINDIR"); d != "" {
		if !hasServer(d) {
			return "", fmt.Errorf("ORGBRIDGE_PG_BINDIR=%s holds no initdb and postgres", d)
		}
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); hasServer(d) {
			return d, nil
		}
	}
	var dirs []string
	for _, g := range binDirGlobs {
		m, _ := filepath.Glob(g)
		dirs = append(dirs, m...)
	}
	slices.SortStableFunc(dirs, func(a, b string) int { return slices.Compare(versionKey(b), versionKey(a)) })
	for _, d := range dirs {
		if hasServer(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("initdb and postgres not found in $PATH or %s (set ORGBRIDGE_PG_BINDIR)", strings.Join(binDirGlobs, ", "))
}

// findUser returns the user to run the server as when the tests run as
// root: PostgreSQL refuses to run as root.
func findUser() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if !canRunAs {
		return nil, fmt.Errorf("running as root, and pgtest runs PostgreSQL as another user on Linux only")
	}
	name := os.Getenv("ORGBRIDGE_PG_USER")
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: no user %q to run it as (the postgresql package creates one; or set ORGBRIDGE_PG_USER): %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %q: %w", name, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("user %q is root, and PostgreSQL refuses to run as root", name)
	}
	return &runAs{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

func findTools() (tools, error) {
	var t tools
	dir, err := findBinDir()
	if err != nil {
		return t, fmt.Errorf("pgtest: PostgreSQL is not usable here (on Debian or Ubuntu: apt-get install postgresql): %w", err)
	}
	t.initdb, t.postgres = filepath.Join(dir, "initdb"), filepath.Join(dir, "postgres")
	if t.user, err = findUser(); err != nil {
		return t, fmt.Errorf("pgtest: %w", err)
	}
	return t, nil
}

// Available returns nil if a server can be started here: initdb and
// postgres were found and, when running as root, a user to run them as.
func Available() error {
	_, err := getTools()
	return err
}

// Require skips the test when PostgreSQL cannot run here, except under CI
// (testsrv.InCI), where it fails the test: CI installs PostgreSQL, and a test that
// silently skips there is a test that never runs.
func Require(t testing.TB) {
	t.Helper()
	testsrv.Require(t, Available(), "PostgreSQL")
}

// The one server of the test binary.
var (
	mainActive atomic.Bool
	srvMu      sync.Mutex
	srv        *server
	srvErr     error // a failed start, not retried
)

// Main runs the tests and then stops the server, if a test started one,
// and removes its directory; it exits with the tests' exit code. Call it
// from the TestMain of every package that uses pgtest:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	mainActive.Store(true)
	code := m.Run()
	mainActive.Store(false)
	srvMu.Lock()
	s := srv
	srv, srvErr = nil, errors.New("pgtest: the tests have ended")
	srvMu.Unlock()
	if s != nil {
		if err := s.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	os.Exit(code)
}

// NewDatabase returns the DSN of a new, empty database on the test
// binary's server (started on first use), connecting as Superuser over
// TCP to 127.0.0.1. The database is dropped when t ends; close what uses
// it before (t.Cleanup functions registered later run earlier). It calls
// Require first, and fails the test if the package's TestMain does not
// call Main.
func NewDatabase(t testing.TB) string {
	t.Helper()
	Require(t)
	if !mainActive.Load() {
		t.Fatal("pgtest: the package's TestMain must call pgtest.Main(m), which stops the server after the tests")
	}
	s, err := getServer()
	if err != nil {
		t.Fatalf("%v", err)
	}
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.dsn(name)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func getServer() (*server, error) {
	srvMu.Lock()
	defer srvMu.Unlock()
	if srv != nil || srvErr != nil {
		return srv, srvErr
	}
	srv, srvErr = start()
	return srv, srvErr
}

// server is a postgres process serving a throwaway cluster.
type server struct {
	tools tools
	dir   string // owned by tools.user; holds data/, the socket and the log
	port  int
	admin *pgxpool.Pool // on database postgres
	proc  *process
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's, once done is closed
}

func (s *server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

func (s *server) dsn(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, s.port, db)
}

func start() (*server, error) {
	tl, err := getTools()
	if err != nil {
		return nil, err
	}
	s := &server{tools: tl}
	if s.dir, err = makeDir(tl.user); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := s.initdb(); err != nil {
		os.RemoveAll(s.dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	err = testsrv.OnFreePorts(1, func(ports []int) error {
		s.port = ports[0]
		return s.run()
	})
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(s.dsn("postgres"))
	if err == nil {
		cfg.MaxConns = 4
		s.admin, err = pgxpool.NewWithConfig(context.Background(), cfg)
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("pgtest: admin pool: %w", err)
	}
	return s, nil
}

// makeDir makes the server's directory, owned by u when running as root.
// The server must be able to reach it: under root's $TMPDIR if every
// ancestor is searchable by others, else under /tmp.
func makeDir(u *runAs) (string, error) {
	base := os.TempDir()
	if u != nil && !searchable(base) {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "orgbridge-pgtest-")
	if err != nil {
		return "", err
	}
	if u != nil {
		if err := os.Chown(dir, int(u.uid), int(u.gid)); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("chown %s to %s: %w", dir, u.name, err)
		}
	}
	return dir, nil
}

// searchable reports whether others may traverse dir and its ancestors.
func searchable(dir string) bool {
	p, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	for {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(p)
		if parent == p {
			return true
		}
		p = parent
	}
}

// childEnv is the environment of initdb and postgres: none of the
// caller's PG* variables (PGDATA, PGPORT...) nor locale settings.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

func (s *server) initdb() error {
	cmd := exec.Command(s.tools.initdb, "-D", s.dataDir(), "-U", Superuser, "-A", "trust",
		"-E", "UTF8", "--no-locale", "-N")
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(s.tools.user, syscall.SIGKILL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		as := ""
		if s.tools.user != nil {
			as = " as " + s.tools.user.name
		}
		return fmt.Errorf("initdb%s: %w\n%s", as, err, testsrv.LastLines(string(out), 20))
	}
	return nil
}

// run starts postgres on s.port and waits until it accepts connections.
func (s *server) run() error {
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"-D", s.dataDir(), "-p", strconv.Itoa(s.port), "-h", "127.0.0.1", "-k", s.dir}
	for _, c := range serverSettings {
		args = append(args, "-c", c)
	}
	cmd := exec.Command(s.tools.postgres, args...)
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(s.tools.user, syscall.SIGINT)
	p := &process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that started the
		// child ends, not the process: keep this goroutine on its thread,
		// never unlocked, until the server has exited.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting %s: %w", s.tools.postgres, err)
	}
	s.proc = p

	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for {
		select {
		case <-p.done:
			s.proc = nil
			log := s.logTail()
			if strings.Contains(log, "Address already in use") {
				return testsrv.ErrAddrInUse
			}
			return fmt.Errorf("postgres exited before accepting connections (%v); %s:\n%s", p.err, s.logPath(), log)
		default:
		}
		if lastErr = s.ping(); lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("postgres did not accept connections on port %d within %s (%v); %s:\n%s", s.port, startTimeout, lastErr, s.logPath(), s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.dsn("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.Ping(ctx)
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath())
	return testsrv.LastLines(string(b), 30)
}

// stop stops postgres — SIGINT (fast shutdown: sessions are ended), then
// SIGQUIT and SIGKILL if it lingers — and removes the directory.
func (s *server) stop() error {
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	var err error
	if p := s.proc; p != nil {
		s.proc = nil
		err = p.signalAndWait()
	}
	if rmErr := os.RemoveAll(s.dir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}

func (p *process) signalAndWait() error {
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGQUIT, os.Kill} {
		select {
		case <-p.done:
			return nil
		default:
		}
		_ = p.cmd.Process.Signal(sig)
		select {
		case <-p.done:
			if sig != syscall.SIGINT {
				return fmt.Errorf("postgres (pid %d) ignored SIGINT for %s and was stopped by %v", p.cmd.Process.Pid, stopTimeout, sig)
			}
			return nil
		case <-time.After(stopTimeout):
		}
	}
	<-p.done
	return nil
}
