package management

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// router matches request paths segment by segment on the escaped path,
// so that a vhost named "/" (%2F in a path, as every client writes it)
// is one segment. net/http's ServeMux cannot route those: it cleans
// "/api/queues/%2F/q" into "/api/queues/q".
type router struct {
	routes []route
}

type route struct {
	method string
	segs   []string // literal, or "{name}" to capture one segment
	serve  http.HandlerFunc
}

func (rt *router) add(pattern string, serve http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	rt.routes = append(rt.routes, route{method: method, segs: strings.Split(strings.Trim(path, "/"), "/"), serve: serve})
	// a literal segment wins over a wildcard in the same place:
	// /api/users/without-permissions before /api/users/{user}
	sort.SliceStable(rt.routes, func(i, j int) bool {
		a, b := rt.routes[i].segs, rt.routes[j].segs
		for k := 0; k < len(a) && k < len(b); k++ {
			if wa, wb := isWild(a[k]), isWild(b[k]); wa != wb {
				return wb
			}
		}
		return false
	})
}

func isWild(seg string) bool { return strings.HasPrefix(seg, "{") }

// ServeHTTP runs the route for the request: 405 when the path is known
// but not the method, RabbitMQ's 404 when neither.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := strings.Trim(r.URL.EscapedPath(), "/")
	parts := strings.Split(raw, "/")
	segs := make([]string, len(parts))
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil {
			writeError(w, badRequest("the path is not URL-encoded properly"))
			return
		}
		segs[i] = s
	}
	pathKnown := false
	for _, cand := range rt.routes {
		vals, ok := match(cand.segs, segs)
		if !ok {
			continue
		}
		pathKnown = true
		if cand.method != r.Method {
			continue
		}
		for k, v := range vals {
			r.SetPathValue(k, v)
		}
		cand.serve(w, r)
		return
	}
	if pathKnown {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	writeError(w, errNotFound)
}

func match(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var vals map[string]string
	for i, p := range pattern {
		if isWild(p) {
			if vals == nil {
				vals = map[string]string{}
			}
			vals[strings.Trim(p, "{}")] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return vals, true
}
