// Package registry opens connectors by their config type name: one explicit
// map per interface, no init() side effects (dex's layout). It is apart from
// package connectors because it imports every connector, and every
// connector imports connectors.
package registry
