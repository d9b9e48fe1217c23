package scimtarget

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
)

// field is one attribute a write sets: its path, and the values before
// (as far as the change knows it) and after.
type field struct {
	path     attrPath
	old, new string
}

// create POSTs r to the collection and returns the new resource's id.
func (a *Adapter) create(ctx context.Context, collection string, r resource) (string, error) {
	var made resource
	etag, err := a.client.call(ctx, http.MethodPost, collection, nil, "", r, &made)
	if err != nil {
		return "", err
	}
	id := text(made["id"])
	if id == "" {
		return "", fmt.Errorf("POST %s: the answer carries no id", collection)
	}
	if etag == "" {
		etag = metaVersion(made)
	}
	a.noteVersion(collection+"/"+id, etag)
	return id, nil
}

// modify sets fields on the resource at path: by PATCH with one
// operation per field, or, when the server does not take PATCH, by PUT
// of the resource as a GET gives it with the fields laid over it (so
// that a PUT drops nothing orgbridge does not map). extra operates on
// the resource for a PUT the way ops does for a PATCH (group members).
func (a *Adapter) modify(ctx context.Context, path string, fields []field, ops []patchOp, extra func(resource)) error {
	for _, f := range fields {
		ops = append(ops, f.path.patchOps(f.old, f.new)...)
	}
	if len(ops) == 0 {
		return nil
	}
	feat, err := a.client.discover(ctx)
	if err != nil {
		return err
	}
	if feat.patch {
		err := a.patch(ctx, path, ops)
		if !refusesPatch(err) {
			return err
		}
		if !a.client.noPatch() {
			a.logger.Warn("the server refuses PATCH: updating by PUT of the whole resource for the rest of the run", zap.Error(err))
		}
	}
	return a.put(ctx, path, func(r resource) {
		for _, f := range fields {
			f.path.set(r, f.new)
		}
		if extra != nil {
			extra(r)
		}
	})
}

// refusesPatch: the server does not implement PATCH (501, 405), or does
// not understand it (400 invalidSyntax to a well-formed PatchOp).
func refusesPatch(err error) bool {
	switch status(err) {
	case http.StatusNotImplemented, http.StatusMethodNotAllowed:
		return true
	case http.StatusBadRequest:
		return scimType(err) == "invalidSyntax"
	}
	return false
}

// patch sends a PatchOp, with If-Match when the server versions; a 412
// (the resource changed since it was read) re-reads its version and
// sends once more.
//
// A PATCH carries at most batchSize operations: more are sent in several,
// in order, since a server may refuse a longer one (413, or 400 tooMany).
func (a *Adapter) patch(ctx context.Context, path string, ops []patchOp) error {
	size := a.batchSize(ctx)
	for len(ops) > 0 {
		n := min(len(ops), size)
		body := map[string]any{"schemas": []string{patchURN}, "Operations": ops[:n]}
		ops = ops[n:]
		if err := a.versioned(ctx, path, func(ifMatch string) (string, error) {
			return a.client.write(ctx, http.MethodPatch, path, ifMatch, body)
		}); err != nil {
			return err
		}
	}
	return nil
}

// put GETs the resource, lays the change over it and PUTs it back; a 412
// starts again once from the GET.
func (a *Adapter) put(ctx context.Context, path string, overlay func(resource)) error {
	attempt := func() error {
		r, etag, err := a.get(ctx, path)
		if err != nil {
			return err
		}
		delete(r, "meta")
		overlay(r)
		ifMatch := ""
		if f, _ := a.client.discover(ctx); f.etag {
			ifMatch = etag
		}
		etag, err = a.client.write(ctx, http.MethodPut, path, ifMatch, r)
		if err == nil {
			a.noteVersion(path, etag)
		}
		return err
	}
	err := attempt()
	if status(err) == http.StatusPreconditionFailed {
		a.logger.Info("the resource changed since it was read: reading it again", zap.String("path", path))
		err = attempt()
	}
	return err
}

// get reads the resource at path whole, and its version. A Group whose
// members the server may return only when asked (RFC 7643 §7, returned
// "request", or a server whose /Schemas do not say) is asked for them, so
// that a PUT of it keeps them.
func (a *Adapter) get(ctx context.Context, path string) (resource, string, error) {
	var r resource
	etag, err := a.client.call(ctx, http.MethodGet, path, nil, "", nil, &r)
	if err != nil {
		return nil, "", err
	}
	if etag == "" {
		etag = metaVersion(r)
	}
	if k, _ := lookup(r, "members"); k == "" && strings.HasPrefix(path, groupsPath+"/") && a.membersOnRequest(ctx) {
		var m resource
		if _, err := a.client.call(ctx, http.MethodGet, path, url.Values{"attributes": {"members"}}, "", nil, &m); err != nil {
			return nil, "", err
		}
		if _, members := lookup(m, "members"); members != nil {
			r["members"] = members
		}
	}
	return r, etag, nil
}

// versioned runs a write with If-Match set to path's version, when the
// server versions resources: the one last seen, else read first. On 412
// it reads the current version and runs it once more.
func (a *Adapter) versioned(ctx context.Context, path string, write func(ifMatch string) (string, error)) error {
	ifMatch := a.version(ctx, path)
	if f, _ := a.client.discover(ctx); f.etag && ifMatch == "" {
		if _, cur, err := a.get(ctx, path); err == nil {
			ifMatch = cur
		}
	}
	etag, err := write(ifMatch)
	if status(err) == http.StatusPreconditionFailed {
		a.logger.Info("the resource changed since it was read: reading its version again", zap.String("path", path))
		_, cur, gerr := a.get(ctx, path)
		if gerr != nil {
			return errors.Join(err, gerr)
		}
		etag, err = write(cur)
	}
	if err == nil {
		a.noteVersion(path, etag)
	}
	return err
}

// remove DELETEs the resource at path (If-Match as a write); a 404 is
// returned as it is (the executor counts a delete of what is gone done).
func (a *Adapter) remove(ctx context.Context, path string) error {
	err := a.versioned(ctx, path, func(ifMatch string) (string, error) {
		return a.client.call(ctx, http.MethodDelete, path, nil, ifMatch, nil, nil)
	})
	if err == nil || errors.Is(err, connectors.ErrNotFound) {
		a.noteVersion(path, "")
	}
	return err
}
