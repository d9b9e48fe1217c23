package emukit

// PickMethod finds, among the methods a path serves (table, in the order
// an Allow header lists them; methodOf reads an entry's method), the entry
// of method. Without one it returns the methods served: none is a 404,
// some a 405 that lists them.
func PickMethod[E any](table []E, method string, methodOf func(E) string) (e E, ok bool, allowed []string) {
	allowed = make([]string, 0, len(table))
	for _, x := range table {
		if methodOf(x) == method {
			return x, true, nil
		}
		allowed = append(allowed, methodOf(x))
	}
	return e, false, allowed
}
