package config

import (
	"errors"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Settings is a connector's own block. Its package defines the type (the
// keys, their defaults and their rules) and Validate checks every key
// without I/O, returning FieldErrors keyed below the block ("page_size"),
// joined (Problems.Err); Load puts them under the block's path and line.
type Settings interface {
	Validate() error
}

// Parts are the pieces of a config that other packages own: the settings
// type of each connector, by the name of its type, and the mapping's own
// check. connectors/registry.Parts gives them, from one explicit map.
type Parts struct {
	Sources map[string]func() Settings
	Targets map[string]func() Settings
	// Mapping checks a job's mapping block (its templates compile, its
	// required keys are there); FieldErrors keyed below the block
	// ("users.name"). Nil skips the check.
	Mapping func(Mapping) error
}

// rawBlock is a connector block as written, kept until its type is known.
// decode is yaml's own decoder for the block: calling it later decodes the
// block with the file's strictness (an unknown key is an error) and line
// numbers, which decoding a copied yaml.Node would lose. It is nil for a
// block written empty (`csv:`).
type rawBlock struct {
	decode func(any) error
}

// UnmarshalYAML keeps the block's decoder (yaml's older Unmarshaler
// interface, the one that shares the decoder and so its settings).
func (b *rawBlock) UnmarshalYAML(unmarshal func(any) error) error {
	b.decode = unmarshal
	return nil
}

// connectorBlock is what a source or target block holds before its
// type is known: the type and every other key as a block.
type connectorBlock struct {
	Type   string              `yaml:"type"`
	Blocks map[string]rawBlock `yaml:",inline"`
}

// UnmarshalYAML reads the type and keeps the blocks for Load.
func (s *Source) UnmarshalYAML(unmarshal func(any) error) error {
	var raw connectorBlock
	err := unmarshal(&raw)
	s.Type, s.blocks = raw.Type, raw.Blocks
	return err
}

// UnmarshalYAML reads the type and keeps the blocks for Load.
func (t *Target) UnmarshalYAML(unmarshal func(any) error) error {
	var raw connectorBlock
	err := unmarshal(&raw)
	t.Type, t.blocks = raw.Type, raw.Blocks
	return err
}

// loading decodes a whole file and then each job's connector blocks into
// the types Parts names, within one decode, so that the blocks' errors
// (unknown keys, wrong types) come with their lines like the rest.
type loading struct {
	cfg   *Config
	parts Parts
}

func (l *loading) UnmarshalYAML(unmarshal func(any) error) error {
	var typeErrs []string
	collect := func(err error) error {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			typeErrs = append(typeErrs, te.Errors...)
			return nil
		}
		return err
	}
	if err := collect(unmarshal(l.cfg)); err != nil {
		return err
	}
	for i := range l.cfg.Jobs {
		j := &l.cfg.Jobs[i]
		var err error
		if j.Source.Settings, err = decodeSettings(j.Source.Type, j.Source.blocks, l.parts.Sources); collect(err) != nil {
			return err
		}
		if j.Target.Settings, err = decodeSettings(j.Target.Type, j.Target.blocks, l.parts.Targets); collect(err) != nil {
			return err
		}
	}
	if len(typeErrs) > 0 {
		return &yaml.TypeError{Errors: typeErrs}
	}
	return nil
}

// decodeSettings decodes the block of type typ into a new value of its
// settings type; nil when the type or its block is unknown or missing
// (checkType reports which).
func decodeSettings(typ string, blocks map[string]rawBlock, makers map[string]func() Settings) (Settings, error) {
	makeSettings, known := makers[typ]
	block, present := blocks[typ]
	if !known || !present {
		return nil, nil
	}
	s := makeSettings()
	if block.decode == nil {
		return s, nil
	}
	return s, block.decode(s)
}

// checkConnector checks that type names a known connector whose block is
// present, that no other block is, and the settings' own rules.
func checkConnector(p *Problems, key, typ string, settings Settings, blocks map[string]rawBlock, makers map[string]func() Settings) {
	known := make([]string, 0, len(makers))
	for name := range makers {
		known = append(known, name)
	}
	sort.Strings(known)
	_, present := blocks[typ]
	_, typeKnown := makers[typ]
	switch ok := typeKnown; {
	case typ == "":
		p.Add(key+".type", "required (known: %s)", strings.Join(known, ", "))
	case !ok:
		p.Add(key+".type", "%q is not a known type (known: %s)", typ, strings.Join(known, ", "))
	case !present:
		p.Add(key+"."+typ, "required when type is %q", typ)
	}
	names := make([]string, 0, len(blocks))
	for name := range blocks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch _, ok := makers[name]; {
		case !ok:
			p.Add(key+"."+name, "unknown key (known: type, %s)", strings.Join(known, ", "))
		case name != typ && typeKnown:
			// (an unknown or missing type is reported once, above)
			p.Add(key+"."+name, "set, but type is %q", typ)
		}
	}
	if settings != nil {
		p.Merge(key+"."+typ, settings.Validate())
	}
}
