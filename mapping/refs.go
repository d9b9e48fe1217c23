package mapping

import (
	"fmt"
	"sort"
	"text/template/parse"

	"github.com/orgbridge/orgbridge/internal/config"
)

// TemplateRefs lists, for each template of a mapping block by its config
// path below the block ("users.name"), the record attributes it reads:
// what the SCIM endpoint names when it refuses a push, and the columns
// validate wants in a CSV source's header.
func TemplateRefs(cfg config.Mapping) map[string][]string {
	texts := map[string]string{}
	u := cfg.Users
	texts["users.login_id"] = u.LoginID
	texts["users.email"] = u.Email
	texts["users.name"] = u.Name
	for k, t := range u.Attributes {
		texts["users.attributes."+k] = t
	}
	if u.OrgPath != nil {
		texts["users.org_path.template"] = u.OrgPath.Template
	}
	texts["users.org"] = u.Org
	if u.Role != nil {
		texts["users.role.template"] = u.Role.Template
	}
	if u.Groups != nil {
		texts["users.groups.template"] = u.Groups.Template
	}
	for i, m := range u.Scope.Exclude {
		texts[fmt.Sprintf("users.scope.exclude[%d].template", i)] = m.Template
	}
	for i, m := range u.Suspended {
		texts[fmt.Sprintf("users.suspended[%d].template", i)] = m.Template
	}
	o, g := cfg.Orgs, cfg.Groups
	for k, t := range map[string]string{
		"orgs.key": o.Key, "orgs.name": o.Name, "orgs.code": o.Code, "orgs.parent": o.Parent, "orgs.description": o.Description,
		"groups.name": g.Name, "groups.code": g.Code, "groups.org": g.Org, "groups.description": g.Description,
	} {
		texts[k] = t
	}
	refs := make(map[string][]string, len(texts))
	for k, t := range texts {
		if t != "" {
			refs[k] = FieldRefs(t)
		}
	}
	return refs
}

// FieldRefs lists the record attributes a template reads: its fields
// ({{.displayName}}, {{$.x}}) and index lookups ({{index . "社員番号"}}),
// sorted. A template that does not parse (Compile would have refused it)
// reads nothing.
func FieldRefs(text string) []string {
	t := parse.New("ref")
	// The functions are the mapping's; only the fields matter here.
	t.Mode = parse.SkipFuncCheck
	tree, err := t.Parse(text, "", "", map[string]*parse.Tree{})
	if err != nil || tree.Root == nil {
		return nil
	}
	seen := map[string]bool{}
	walkRefs(tree.Root, seen)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func walkRefs(n parse.Node, seen map[string]bool) {
	branch := func(b *parse.BranchNode) {
		walkRefs(b.Pipe, seen)
		walkRefs(b.List, seen)
		if b.ElseList != nil {
			walkRefs(b.ElseList, seen)
		}
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkRefs(c, seen)
		}
	case *parse.ActionNode:
		walkRefs(n.Pipe, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkRefs(c, seen)
		}
	case *parse.CommandNode:
		if len(n.Args) >= 3 {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
				if _, dot := n.Args[1].(*parse.DotNode); dot {
					if s, ok := n.Args[2].(*parse.StringNode); ok {
						seen[s.Text] = true
					}
				}
			}
		}
		for _, c := range n.Args {
			walkRefs(c, seen)
		}
	case *parse.FieldNode:
		seen[n.Ident[0]] = true
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			seen[n.Ident[1]] = true
		}
	case *parse.ChainNode:
		walkRefs(n.Node, seen)
	case *parse.IfNode:
		branch(&n.BranchNode)
	case *parse.RangeNode:
		branch(&n.BranchNode)
	case *parse.WithNode:
		branch(&n.BranchNode)
	case *parse.TemplateNode:
		walkRefs(n.Pipe, seen)
	}
}
