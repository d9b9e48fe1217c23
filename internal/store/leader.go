package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// leaderPingTimeout bounds the liveness checks of a Leader's connection.
// They do not follow the caller's cancellation: pgx closes a connection
// whose query is cancelled, and that would give up the lock.
const leaderPingTimeout = 5 * time.Second

// leaderKeepalive are the server-side TCP keepalive settings of a Leader's
// session: if the leader's host vanishes without closing its connection,
// the server notices within about idle + interval × count seconds, ends
// the session and so releases the lock for another replica.
var leaderKeepalive = map[string]string{
	"tcp_keepalives_idle":     "10",
	"tcp_keepalives_interval": "5",
	"tcp_keepalives_count":    "3",
}

// ErrLeaderClosed is returned by TryAcquire on a closed Leader.
var ErrLeaderClosed = errors.New("leader closed")

// Leader holds a PostgreSQL session-level advisory lock on a dedicated
// connection: one replica at a time holds it; if that process dies, its
// connection closes and the lock is released, so another replica's
// TryAcquire succeeds.
//
// The lock belongs to the database the DSN names (advisory locks are per
// database), under a key derived from the name: Key, a 64-bit FNV-1a hash
// of "orgbridge:leader:" + name. Replicas that elect one leader for the
// same work use the same name; different names do not conflict. In
// pg_locks the lock is locktype 'advisory' with classid the key's high 32
// bits, objid its low 32 bits and objsubid 1.
//
// The connection is made by TryAcquire and is not shared with a Store's
// pool, whose connections come and go. It must reach PostgreSQL itself or
// a session-pooling proxy: behind transaction pooling (PgBouncer's
// pool_mode=transaction) a session lock is meaningless. Its session asks
// the server for TCP keepalives every few seconds (tcp_keepalives_idle 10,
// interval 5, count 3), so that a leader whose host vanishes loses the lock
// within about 25 s.
//
// Leadership can end without the holder doing anything: the connection
// breaks, the server restarts, an administrator ends the session. A holder
// must therefore call Held before each piece of work only the leader may
// do, and stop when it returns false; in a network partition the old
// leader learns it (Held fails) at about the time the server drops its
// session, so work that must never overlap also needs its own fencing.
//
// A Leader is safe for concurrent use. Nothing like it is needed for
// SQLite, which one machine owns.
type Leader struct {
	cfg    *pgx.ConnConfig
	name   string
	key    int64
	logger *zap.Logger

	mu     sync.Mutex
	conn   *pgx.Conn
	held   bool
	closed bool
}

// NewLeader returns a Leader for name on the database dsn names (as for
// OpenPostgres). It does not connect: TryAcquire does. A nil logger logs
// nothing.
func NewLeader(dsn, name string, logger *zap.Logger) (*Leader, error) {
	if name == "" {
		return nil, errors.New("store: leader: empty name")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("store: leader: cannot parse the DSN")
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "orgbridge"
	}
	return newLeader(cfg, name, logger), nil
}

// Leader returns a Leader for name on the store's database, with the
// store's connection settings and logger. Close it when done; closing the
// store does not.
func (p *Postgres) Leader(name string) (*Leader, error) {
	if name == "" {
		return nil, errors.New("store: leader: empty name")
	}
	return newLeader(p.connConfig.Copy(), name, p.baseLogger), nil
}

func newLeader(cfg *pgx.ConnConfig, name string, logger *zap.Logger) *Leader {
	if logger == nil {
		logger = zap.NewNop()
	}
	for k, v := range leaderKeepalive {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	return &Leader{
		cfg:    cfg,
		name:   name,
		key:    advisoryKey("orgbridge:leader:" + name),
		logger: logger.With(zap.String("leader", name), zap.String("database", pgWhere(cfg))),
	}
}

// Name returns the name the Leader was made with.
func (l *Leader) Name() string { return l.name }

// Key returns the advisory lock key.
func (l *Leader) Key() int64 { return l.key }

// TryAcquire tries to take the lock without waiting, connecting first if
// the Leader has no live connection, and reports whether the Leader holds
// it. When it already holds it, it checks the connection (as Held) and
// returns true without locking twice; if the connection broke, the lock
// was lost and it tries again on a new connection.
func (l *Leader) TryAcquire(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false, fmt.Errorf("store: leader %q: %w", l.name, ErrLeaderClosed)
	}
	if l.held {
		if l.alive(ctx) {
			return true, nil
		}
	}
	if l.conn == nil || l.conn.IsClosed() {
		l.dropConn()
		c, err := pgx.ConnectConfig(ctx, l.cfg)
		if err != nil {
			return false, fmt.Errorf("store: leader %q: connect: %w", l.name, err)
		}
		l.conn = c
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&ok); err != nil {
		// Whether or not the server granted it, closing the session
		// releases it.
		l.dropConn()
		return false, fmt.Errorf("store: leader %q: try lock: %w", l.name, err)
	}
	if ok {
		l.held = true
		l.logger.Info("leadership acquired", zap.Uint32("backend_pid", l.conn.PgConn().PID()))
	}
	return ok, nil
}

// Held reports whether the Leader still holds the lock: it took it and its
// connection is alive (it answers a ping within 5 s, whatever ctx says).
// Once the connection broke it returns false, and the Leader must acquire
// again.
func (l *Leader) Held(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && l.alive(ctx)
}

// alive pings the connection of a held lock; on failure the lock is lost:
// the connection is closed and held cleared.
func (l *Leader) alive(ctx context.Context) bool {
	if l.conn == nil || l.conn.IsClosed() {
		l.lost(errors.New("connection closed"))
		return false
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaderPingTimeout)
	defer cancel()
	if err := l.conn.Ping(pctx); err != nil {
		l.lost(err)
		return false
	}
	return true
}

func (l *Leader) lost(err error) {
	l.held = false
	l.dropConn()
	l.logger.Warn("leadership lost: the lock's connection broke", zap.Error(err))
}

// dropConn closes the connection, which ends the session and so releases
// any lock it held.
func (l *Leader) dropConn() {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), leaderPingTimeout)
	defer cancel()
	_ = l.conn.Close(ctx)
	l.conn = nil
}

// Release gives up the lock if the Leader holds it, keeping the
// connection for a later TryAcquire. If the unlock cannot be sent, the
// connection is closed instead, which releases the lock as well.
func (l *Leader) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return nil
	}
	l.held = false
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&ok); err != nil {
		l.dropConn()
		l.logger.Warn("leadership released by closing the connection", zap.Error(err))
		return nil
	}
	if !ok {
		l.logger.Warn("leadership was not held by this session on release")
		return nil
	}
	l.logger.Info("leadership released")
	return nil
}

// Close releases the lock, if held, by closing the connection. It is safe
// to call more than once; TryAcquire fails after it.
func (l *Leader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.held {
		// Unlock first: the server ends a closed session, and releases
		// its locks, only some time after the client has gone, and
		// another replica should not have to wait for that.
		ctx, cancel := context.WithTimeout(context.Background(), leaderPingTimeout)
		_, _ = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
		cancel()
		l.logger.Info("leadership released: closed")
	}
	l.held = false
	l.dropConn()
	return nil
}
