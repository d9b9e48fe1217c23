package main

import (
	"sync/atomic"

	connscim "github.com/orgbridge/orgbridge/connectors/scim"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/scheduler"
	"github.com/orgbridge/orgbridge/scim"
)

// scimAdmission holds the mappings of the jobs that read the SCIM endpoint
// (source type scim), which the endpoint checks every push against: set
// at start and again with each reload, so a new mapping applies to the
// next push.
type scimAdmission struct {
	current atomic.Pointer[[]scim.Mapping]
}

func newSCIMAdmission(file *config.File, jobs []*scheduler.Job) *scimAdmission {
	s := &scimAdmission{}
	s.set(file, jobs)
	return s
}

// set takes the scim jobs of an opened config: each job's compiled rules,
// its mapping block (for the attributes its templates read) and what its
// source reads Groups as.
func (s *scimAdmission) set(file *config.File, jobs []*scheduler.Job) {
	blocks := make(map[string]config.Mapping, len(file.Jobs))
	for _, jc := range file.Jobs {
		blocks[jc.Name] = jc.Mapping
	}
	var ms []scim.Mapping
	for _, j := range jobs {
		src, ok := j.Source.(*connscim.Source)
		if !ok {
			continue
		}
		ms = append(ms, scim.Mapping{Job: j.Name, Rules: j.Rules, Config: blocks[j.Name], GroupsAs: src.GroupsAs()})
	}
	s.current.Store(&ms)
}

// mappings is the endpoint's scim.Options.Mappings.
func (s *scimAdmission) mappings() []scim.Mapping { return *s.current.Load() }
