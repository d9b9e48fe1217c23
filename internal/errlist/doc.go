// Package errlist collects the problems of one read (the rows of a CSV
// export, the entries of a directory) up to a bound, and counts the rest,
// so that a source with thousands of bad records fails with a readable
// error: the first problems, then "and N more errors".
package errlist
