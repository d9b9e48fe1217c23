package adtest

import (
	"fmt"
	"net"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// rangeProxy is a plain-LDAP proxy in front of Samba that makes it answer
// like Windows AD with MaxValRange = limit: Samba returns every value of an
// attribute asked for without a range option (a 1600-member group's
// "member" comes back whole), which would let a client that never does
// range retrieval pass a test. Windows instead returns the first 1500
// values as "member;range=0-1499", and the client must ask for
// "member;range=1500-*" next. The proxy rewrites every attribute of a
// SearchResultEntry that has no range option and more than limit values
// in exactly that way. Requests pass through untouched, so a request with
// a range option is answered by Samba itself, which implements it as
// Windows does (see the package doc).
//
// It is a forwarder whose answers go through relay. The proxy sees plain
// LDAP only: do not use StartTLS through it.
type rangeProxy struct {
	*forwarder
	limit int
}

func startRangeProxy(target string, dial func(network, addr string) (net.Conn, error), limit int) (*rangeProxy, error) {
	p := &rangeProxy{limit: limit}
	f, err := startForwarder(target, dial, p.relay)
	if err != nil {
		return nil, err
	}
	p.forwarder = f
	return p, nil
}

// relay copies LDAP messages from the server to the client, rewriting
// search result entries.
func (p *rangeProxy) relay(client, server net.Conn) error {
	for {
		msg, err := ber.ReadPacket(server)
		if err != nil {
			return err
		}
		out := msg
		if isSearchEntry(msg) {
			out = p.rewriteEntry(msg)
		}
		if _, err := client.Write(out.Bytes()); err != nil {
			return err
		}
	}
}

const appSearchResultEntry = 4

func isSearchEntry(msg *ber.Packet) bool {
	return len(msg.Children) >= 2 &&
		msg.Children[1].ClassType == ber.ClassApplication &&
		msg.Children[1].Tag == appSearchResultEntry &&
		len(msg.Children[1].Children) == 2
}

// rewriteEntry returns msg with every attribute over the limit cut to the
// first limit values and renamed "<type>;range=0-<limit-1>"; msg itself
// when nothing is over.
func (p *rangeProxy) rewriteEntry(msg *ber.Packet) *ber.Packet {
	entry := msg.Children[1]
	attrs := entry.Children[1]
	over := false
	for _, a := range attrs.Children {
		if len(a.Children) == 2 && len(a.Children[1].Children) > p.limit && !hasRange(attrType(a)) {
			over = true
		}
	}
	if !over {
		return msg
	}
	newAttrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attributes")
	for _, a := range attrs.Children {
		if len(a.Children) != 2 || len(a.Children[1].Children) <= p.limit || hasRange(attrType(a)) {
			newAttrs.AppendChild(a)
			continue
		}
		na := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attribute")
		na.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString,
			fmt.Sprintf("%s;range=0-%d", attrType(a), p.limit-1), "type"))
		vals := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "values")
		for _, v := range a.Children[1].Children[:p.limit] {
			vals.AppendChild(v)
		}
		na.AppendChild(vals)
		newAttrs.AppendChild(na)
	}
	newEntry := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appSearchResultEntry, nil, "entry")
	newEntry.AppendChild(entry.Children[0])
	newEntry.AppendChild(newAttrs)
	out := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "message")
	out.AppendChild(msg.Children[0])
	out.AppendChild(newEntry)
	for _, c := range msg.Children[2:] {
		out.AppendChild(c)
	}
	return out
}

func attrType(a *ber.Packet) string {
	if len(a.Children) == 0 {
		return ""
	}
	return a.Children[0].Data.String()
}

func hasRange(typ string) bool {
	return strings.Contains(strings.ToLower(typ), ";range=")
}
