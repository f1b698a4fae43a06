package routing

import (
	"fmt"
	"strings"
)

// SplitTopicKey splits a routing key or binding key into words the way
// RabbitMQ does (rabbit_exchange_type_topic:split_topic_key in 3.x,
// rabbit_db_topic_exchange:split_topic_key_binary in 4.x): on every '.',
// keeping empty words, except that the empty key has no words at all.
// So "" is zero words, "." is two empty words and "a..b" is "a", "", "b".
func SplitTopicKey(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, ".")
}

// topicState is a point in matching a binding key against a routing key:
// the first i words of the pattern match the first j words of the key.
type topicState struct{ i, j int }

// MatchTopic reports whether the topic binding key pattern matches the
// routing key, with a short human reason: on a match which words the
// wildcards took ("'*' matched 'orange'"), otherwise where matching stops
// ("'lazy' != 'quick' at word 1"). Word numbers count from 1.
//
// Semantics are RabbitMQ's: '*' is exactly one word (possibly empty), '#'
// zero or more words, every other word must equal the key's word.
func MatchTopic(pattern, key string) (bool, string) {
	p, k := SplitTopicKey(pattern), SplitTopicKey(key)
	// reach[i][j]: pattern words [0,i) match key words [0,j) exactly.
	// A table instead of backtracking keeps '#.#.#' patterns polynomial.
	reach := make([][]bool, len(p)+1)
	for i := range reach {
		reach[i] = make([]bool, len(k)+1)
	}
	reach[0][0] = true
	for i := 0; i < len(p); i++ {
		for j := 0; j <= len(k); j++ {
			if !reach[i][j] {
				continue
			}
			switch p[i] {
			case "#":
				for t := j; t <= len(k); t++ {
					reach[i+1][t] = true
				}
			case "*":
				if j < len(k) {
					reach[i+1][j+1] = true
				}
			default:
				if j < len(k) && p[i] == k[j] {
					reach[i+1][j+1] = true
				}
			}
		}
	}
	if reach[len(p)][len(k)] {
		return true, explainTopicMatch(p, k, reach)
	}
	return false, explainTopicMiss(p, k, reach)
}

// explainTopicMiss reports where the partial match that got furthest into
// the binding key stops: that is the word a person would look at.
func explainTopicMiss(p, k []string, reach [][]bool) string {
	best := topicState{-1, -1}
	for i := 0; i <= len(p); i++ {
		for j := 0; j <= len(k); j++ {
			if reach[i][j] && (i > best.i || (i == best.i && j > best.j)) {
				best = topicState{i, j}
			}
		}
	}
	i, j := best.i, best.j
	if i > 0 && i < len(p) && p[i-1] == "#" {
		// After '#' every later word was tried: say where we looked.
		from := 0
		for !reach[i-1][from] {
			from++
		}
		switch {
		case from == len(k):
			return fmt.Sprintf("routing key ended before '%s'", p[i])
		case from == len(k)-1:
			return fmt.Sprintf("'%s' not found in word %d ('%s')", p[i], from+1, k[from])
		default:
			return fmt.Sprintf("'%s' not found in words %d-%d ('%s')", p[i], from+1, len(k), strings.Join(k[from:], "."))
		}
	}
	switch {
	case i < len(p) && j < len(k):
		return fmt.Sprintf("'%s' != '%s' at word %d", p[i], k[j], j+1)
	case i < len(p):
		if len(k) == 0 {
			return fmt.Sprintf("empty routing key has no word for '%s'", p[i])
		}
		return fmt.Sprintf("routing key has %s, no word %d for '%s'", nWords(len(k)), j+1, p[i])
	default:
		if len(p) == 0 {
			return fmt.Sprintf("empty binding key matches only the empty routing key, not '%s'", strings.Join(k, "."))
		}
		return fmt.Sprintf("extra word '%s' at word %d: binding key has %s", k[j], j+1, nWords(len(p)))
	}
}

// explainTopicMatch walks one successful assignment back from the end,
// preferring that '#' takes as few words as possible, and names what each
// wildcard took.
func explainTopicMatch(p, k []string, reach [][]bool) string {
	if len(p) == 0 {
		return "'' == '': empty binding key matches the empty routing key"
	}
	// taken[i] is the span of key words pattern word i took.
	type span struct{ from, to int }
	taken := make([]span, len(p))
	i, j := len(p), len(k)
	for i > 0 {
		w := p[i-1]
		if w == "#" {
			// '#' took words [from, j): pick the largest from (fewest words)
			// from which the prefix still matches.
			from := j
			for from >= 0 && !reach[i-1][from] {
				from--
			}
			taken[i-1] = span{from, j}
			i, j = i-1, from
			continue
		}
		taken[i-1] = span{j - 1, j}
		i, j = i-1, j-1
	}
	var parts []string
	for n, w := range p {
		s := taken[n]
		switch w {
		case "*":
			parts = append(parts, fmt.Sprintf("'*' matched '%s'", k[s.from]))
		case "#":
			if s.from == s.to {
				parts = append(parts, "'#' matched no words")
			} else {
				parts = append(parts, fmt.Sprintf("'#' matched '%s'", strings.Join(k[s.from:s.to], ".")))
			}
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("'%s' == '%s'", strings.Join(p, "."), strings.Join(k, "."))
	}
	return strings.Join(parts, ", ")
}

func nWords(n int) string {
	if n == 1 {
		return "1 word"
	}
	return fmt.Sprintf("%d words", n)
}
