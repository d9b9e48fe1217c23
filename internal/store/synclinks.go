package store

import (
	"sync"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/mapping"
)

// SyncLinks is Links for concurrent use: the ids a run resolves as its
// changes land, read and written by the changes applied in parallel (the
// scheduler's Apply, the target conformance suite). The zero value is
// empty and ready to use.
type SyncLinks struct {
	mu sync.RWMutex
	l  Links
}

var _ change.IDs = (*SyncLinks)(nil)

// TargetID returns the target id linked to key of kind.
func (s *SyncLinks) TargetID(kind mapping.Kind, key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.l.TargetID(kind, key)
}

// Set links key of kind to id.
func (s *SyncLinks) Set(kind mapping.Kind, key, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.l == nil {
		s.l = make(Links)
	}
	s.l.Set(kind, key, id)
}

// Remove drops the link of key of kind, if any.
func (s *SyncLinks) Remove(kind mapping.Kind, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.l[kind], key)
}

// Reverse returns target id → source key for kind, a copy.
func (s *SyncLinks) Reverse(kind mapping.Kind) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string, len(s.l[kind]))
	for key, id := range s.l[kind] {
		out[id] = key
	}
	return out
}
