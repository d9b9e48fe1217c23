package scim

import (
	"context"
	"sync"
)

// keyedLock serializes work per key (a resource's type and id) within one
// process: the read-modify-writes of PUT and PATCH on one resource run one
// at a time instead of racing and retrying on the store's stale version.
// A key's lock is made when first wanted and dropped when nobody holds or
// waits for it, so the map holds only the keys in use.
type keyedLock struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

// keyLock is one key's lock: a one-slot channel (so a waiter can give up
// with its context) and the number of holders and waiters.
type keyLock struct {
	slot chan struct{}
	refs int
}

// lock takes key's lock, waiting until it is free or ctx ends (then the
// context's error). The returned function releases it.
func (k *keyedLock) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{slot: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	select {
	case l.slot <- struct{}{}:
		return func() {
			<-l.slot
			k.release(key, l)
		}, nil
	case <-ctx.Done():
		k.release(key, l)
		return nil, ctx.Err()
	}
}

// release drops one reference to key's lock, and the lock with the last.
func (k *keyedLock) release(key string, l *keyLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(k.locks, key)
	}
}

// size is the number of keys held or waited for.
func (k *keyedLock) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.locks)
}
