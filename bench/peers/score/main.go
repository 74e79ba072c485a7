// Command score is the judge of `scripts/bench --peers`: precision and recall of near-duplicate
// pair files against a truth pair file, all JSON lines with "a" and "b" (ids; other fields are
// ignored), over the same JSONL corpus (fields id, text).
//
// Documents with byte-identical texts have identical char-5 shingle sets, so every pair is
// counted as the pair of their texts' classes: a pair (a, b) stands for every (a', b') with a'
// of a's text and b' of b's, and the truth gets every pair of identical texts besides (Jaccard 1).
// This matters because neardup links each later copy of an exact duplicate (same title and text)
// to its first copy only, not to the first copy's near-duplicates.
//
// For every pair a tool reports that the truth lacks, the exact char-5 Jaccard (code points of the
// raw text, spaces kept) is computed; any at or above -t means the truth is incomplete, and is
// printed as truth_missing.
//
// Output, one line per pair file: NAME lines=N pairs=N true=N precision=P recall=R truth_missing=N
// and first a line: truth lines=N pairs=N documents=N texts=N.
//
// Usage: score -corpus corpus.jsonl -truth truth.jsonl [-t 0.8] NAME=pairs.jsonl...
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

type doc struct {
	ID   json.RawMessage `json:"id"`
	Text string          `json:"text"`
}

type corpus struct {
	index   map[string]int32 // id -> document number
	class   []int32          // document -> its text class
	members [][]int32        // class -> documents, in input order
	texts   []string         // class -> its text
	path    string
}

func idString(raw json.RawMessage, file string, line int) string {
	if len(raw) == 0 || string(raw) == "null" {
		return file + ":" + strconv.Itoa(line)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func forLines(path string, f func(line []byte, n int) error) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	rd := bufio.NewReaderSize(in, 1<<20)
	n := 0
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) > 0 {
			n++
			line = []byte(strings.TrimRight(string(line), "\r\n"))
			if len(line) > 0 {
				if e := f(line, n); e != nil {
					return fmt.Errorf("%s:%d: %v", path, n, e)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func readCorpus(path string) (*corpus, error) {
	c := &corpus{index: map[string]int32{}, path: path}
	byText := map[[32]byte]int32{}
	err := forLines(path, func(line []byte, n int) error {
		var d doc
		if err := json.Unmarshal(line, &d); err != nil {
			return err
		}
		id := idString(d.ID, path, n)
		if _, dup := c.index[id]; dup {
			return fmt.Errorf("id %q twice", id)
		}
		c.index[id] = int32(len(c.class))
		key := sha256.Sum256([]byte(d.Text))
		k, ok := byText[key]
		if !ok {
			k = int32(len(c.members))
			byText[key] = k
			c.members = append(c.members, nil)
			c.texts = append(c.texts, d.Text)
		}
		c.class = append(c.class, k)
		c.members[k] = append(c.members[k], int32(len(c.class)-1))
		return nil
	})
	return c, err
}

type classPair uint64

func mkPair(x, y int32) classPair {
	if x > y {
		x, y = y, x
	}
	return classPair(uint64(uint32(x))<<32 | uint64(uint32(y)))
}

// size is the number of document pairs a class pair stands for.
func (c *corpus) size(p classPair) int64 {
	x, y := int32(p>>32), int32(uint32(p))
	nx, ny := int64(len(c.members[x])), int64(len(c.members[y]))
	if x == y {
		return nx * (nx - 1) / 2
	}
	return nx * ny
}

func (c *corpus) readPairs(path string) (map[classPair]bool, int, error) {
	set := map[classPair]bool{}
	lines := 0
	err := forLines(path, func(line []byte, n int) error {
		var e struct {
			A json.RawMessage `json:"a"`
			B json.RawMessage `json:"b"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		a, b := idString(e.A, "", 0), idString(e.B, "", 0)
		ia, ok1 := c.index[a]
		ib, ok2 := c.index[b]
		if !ok1 || !ok2 {
			return fmt.Errorf("pair %q %q: id not in %s", a, b, c.path)
		}
		if ia == ib {
			return fmt.Errorf("pair of %q with itself", a)
		}
		lines++
		set[mkPair(c.class[ia], c.class[ib])] = true
		return nil
	})
	return set, lines, err
}

func shingles(text string) map[string]bool {
	var starts []int
	for off := range text {
		starts = append(starts, off)
	}
	starts = append(starts, len(text))
	runes := len(starts) - 1
	set := map[string]bool{}
	if runes == 0 {
		return set
	}
	if runes < 5 {
		set[strings.ToValidUTF8(text, "\uFFFD")] = true
		return set
	}
	for i := 0; i+5 <= runes; i++ {
		set[text[starts[i]:starts[i+5]]] = true
	}
	return set
}

func jaccard(a, b string) float64 {
	sa, sb := shingles(a), shingles(b)
	inter := 0
	for s := range sa {
		if sb[s] {
			inter++
		}
	}
	union := len(sa) + len(sb) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func main() {
	corpusPath := flag.String("corpus", "", "the JSONL corpus (id, text)")
	truthPath := flag.String("truth", "", "the truth pairs (JSON lines with a, b)")
	threshold := flag.Float64("t", 0.8, "Jaccard threshold of the truth")
	flag.Parse()
	if *corpusPath == "" || *truthPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: score -corpus corpus.jsonl -truth truth.jsonl [-t 0.8] NAME=pairs.jsonl...")
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(1)
	}
	c, err := readCorpus(*corpusPath)
	if err != nil {
		fail(err)
	}
	truth, truthLines, err := c.readPairs(*truthPath)
	if err != nil {
		fail(err)
	}
	for k := range c.members {
		if len(c.members[k]) > 1 {
			truth[mkPair(int32(k), int32(k))] = true
		}
	}
	var truthPairs int64
	for p := range truth {
		truthPairs += c.size(p)
	}
	fmt.Printf("truth lines=%d pairs=%d documents=%d texts=%d\n", truthLines, truthPairs, len(c.class), len(c.members))
	for _, arg := range flag.Args() {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			fail(fmt.Errorf("%s: want NAME=FILE", arg))
		}
		got, lines, err := c.readPairs(path)
		if err != nil {
			fail(err)
		}
		var pairs, hits int64
		missing := 0
		for p := range got {
			n := c.size(p)
			pairs += n
			if truth[p] {
				hits += n
				continue
			}
			x, y := int32(p>>32), int32(uint32(p))
			if x == y || jaccard(c.texts[x], c.texts[y]) >= *threshold {
				missing++
			}
		}
		precision, recall := 1.0, 1.0
		if pairs > 0 {
			precision = float64(hits) / float64(pairs)
		}
		if truthPairs > 0 {
			recall = float64(hits) / float64(truthPairs)
		}
		fmt.Printf("%s lines=%d pairs=%d true=%d precision=%.6f recall=%.6f truth_missing=%d\n",
			name, lines, pairs, hits, precision, recall, missing)
	}
}
