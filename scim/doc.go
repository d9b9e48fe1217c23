// Package scim will hold orgbridge's SCIM 2.0 endpoint (on
// github.com/elimity-com/scim) and the source that reads what identity
// providers push. It is empty until the SCIM issue lands; the layout keeps
// its place.
package scim
