// Command minhash_lsh is the peer side of `scripts/bench --peers`: near-duplicate pairs of a JSONL
// corpus found with github.com/ekzhu/minhash-lsh (Debian: golang-github-ekzhu-minhash-lsh-dev).
//
// Each record's "text" is shingled as neardup's `--normalize none --shingle char:5+spaces` does:
// every window of 5 consecutive code points of the raw text, spaces and newlines kept, nothing
// normalized (invalid UTF-8 reads as U+FFFD; a text shorter than 5 code points is one shingle, an
// empty one has none and is never paired). The shingles' UTF-8 bytes are pushed into the
// library's own MinHash (minhashlsh.NewMinhash: dgryski/go-minhash MinWise, 64-bit values
// h1 + i*h2 from two seeded FNV-1a hashes), -perm values a document. The signatures go into the
// library's index (minhashlsh.NewMinhashLSH, its default: 32-bit band keys, bands and rows chosen by
// the library for -t), every document is queried, and a candidate pair is written when the share
// of equal values in the two full 64-bit signatures (the estimated Jaccard) is at least -t.
//
// Output: one JSON line {"a": ID, "b": ID} per pair, a before b in input order, pairs sorted by a
// then b. Build (no modules, Debian's sources):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o minhash_lsh ./bench/peers/minhash_lsh
//
// Usage: minhash_lsh [-t 0.8] [-perm 128] [-seed 1] [-j 2] [-o pairs.jsonl] corpus.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	minhashlsh "github.com/ekzhu/minhash-lsh"
)

const shingleLen = 5

type record struct {
	ID   json.RawMessage `json:"id"`
	Text string          `json:"text"`
}

type batch struct {
	start int
	lines [][]byte
	ids   []string
	sigs  [][]uint64
	err   error
}

// idString gives the id as neardup's edges file writes it: a JSON string as is, any other JSON
// value as its text, a missing one as FILE:LINE.
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

// signature shingles text into windows of shingleLen code points and returns the MinHash of them.
func signature(text string, seed int64, numPerm int) []uint64 {
	mh := minhashlsh.NewMinhash(seed, numPerm)
	// Byte offsets of the code points; a window is text[starts[i]:starts[i+shingleLen]].
	starts := make([]int, 0, len(text)+1)
	for off := range text { // ranging over a string decodes UTF-8; a bad byte is one code point
		starts = append(starts, off)
	}
	starts = append(starts, len(text))
	runes := len(starts) - 1
	if runes == 0 {
		return nil
	}
	if runes < shingleLen {
		mh.Push(normalizeBad(text))
		return mh.Signature()
	}
	if !utf8.ValidString(text) {
		for i := 0; i+shingleLen <= runes; i++ {
			mh.Push(normalizeBad(text[starts[i]:starts[i+shingleLen]]))
		}
		return mh.Signature()
	}
	raw := []byte(text) // one copy; the windows are slices of it
	for i := 0; i+shingleLen <= runes; i++ {
		mh.Push(raw[starts[i]:starts[i+shingleLen]])
	}
	return mh.Signature()
}

// normalizeBad re-encodes s with every invalid byte as U+FFFD.
func normalizeBad(s string) []byte {
	if utf8.ValidString(s) {
		return []byte(s)
	}
	out := make([]byte, 0, len(s)+8)
	for _, r := range s {
		out = utf8.AppendRune(out, r)
	}
	return out
}

func estimate(a, b []uint64) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}

func main() {
	threshold := flag.Float64("t", 0.8, "estimated Jaccard at or above which a candidate pair is written")
	numPerm := flag.Int("perm", 128, "MinHash permutations (hash values a signature)")
	seed := flag.Int64("seed", 1, "MinHash seed (minhashlsh.NewMinhash)")
	threads := flag.Int("j", 2, "worker goroutines for parsing, signing and querying")
	output := flag.String("o", "-", "output file, - for standard output")
	quiet := flag.Bool("q", false, "print no timings to standard error")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] corpus.jsonl\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *threads < 1 || *numPerm < 1 || *threshold <= 0 || *threshold > 1 {
		flag.Usage()
		os.Exit(2)
	}
	path := flag.Arg(0)
	logf := func(format string, args ...interface{}) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "minhash_lsh: "+format+"\n", args...)
		}
	}
	t0 := time.Now()

	in, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "minhash_lsh:", err)
		os.Exit(1)
	}
	defer in.Close()

	// Read lines in batches; workers parse, shingle and sign them; results land by input order.
	todo := make(chan *batch, 2**threads)
	done := make(chan *batch, 2**threads)
	var wg sync.WaitGroup
	for w := 0; w < *threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range todo {
				b.ids = make([]string, len(b.lines))
				b.sigs = make([][]uint64, len(b.lines))
				for i, line := range b.lines {
					var r record
					if err := json.Unmarshal(line, &r); err != nil {
						b.err = fmt.Errorf("%s:%d: %v", path, b.start+i+1, err)
						break
					}
					b.ids[i] = idString(r.ID, path, b.start+i+1)
					b.sigs[i] = signature(r.Text, *seed, *numPerm)
				}
				b.lines = nil
				done <- b
			}
		}()
	}
	var readErr error
	go func() {
		defer close(todo)
		rd := bufio.NewReaderSize(in, 1<<20)
		cur := &batch{}
		lineNo := 0
		for {
			line, err := rd.ReadBytes('\n')
			if len(line) > 0 {
				lineNo++
				for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
					line = line[:len(line)-1]
				}
				if len(line) > 0 { // blank lines are not records
					if len(cur.lines) == 0 {
						cur.start = lineNo - 1
					}
					cur.lines = append(cur.lines, line)
					if len(cur.lines) == 512 {
						todo <- cur
						cur = &batch{}
					}
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				readErr = err
				break
			}
		}
		if len(cur.lines) > 0 {
			todo <- cur
		}
	}()
	go func() { wg.Wait(); close(done) }()

	// Batches come back out of order; keep them by start line and lay them out in order after.
	var batches []*batch
	for b := range done {
		if b.err != nil {
			fmt.Fprintln(os.Stderr, "minhash_lsh:", b.err)
			os.Exit(1)
		}
		batches = append(batches, b)
	}
	if readErr != nil {
		fmt.Fprintln(os.Stderr, "minhash_lsh:", readErr)
		os.Exit(1)
	}
	sort.Slice(batches, func(i, j int) bool { return batches[i].start < batches[j].start })
	var ids []string
	var sigs [][]uint64
	for _, b := range batches {
		ids = append(ids, b.ids...)
		sigs = append(sigs, b.sigs...)
	}
	batches = nil
	tSign := time.Now()

	lsh := minhashlsh.NewMinhashLSH(*numPerm, *threshold)
	for i, sig := range sigs {
		if sig != nil {
			lsh.Add(i, sig)
		}
	}
	lsh.Index()
	tIndex := time.Now()
	k, l := lsh.Params()

	// Query every document; a pair is found from its earlier document's query.
	type pair struct{ a, b int }
	found := make([][]pair, *threads)
	candidates := make([]int, *threads)
	var qwg sync.WaitGroup
	const chunk = 256
	var next int64
	var mu sync.Mutex
	for w := 0; w < *threads; w++ {
		qwg.Add(1)
		go func(w int) {
			defer qwg.Done()
			for {
				mu.Lock()
				lo := int(next)
				next += chunk
				mu.Unlock()
				if lo >= len(sigs) {
					return
				}
				hi := lo + chunk
				if hi > len(sigs) {
					hi = len(sigs)
				}
				for i := lo; i < hi; i++ {
					if sigs[i] == nil {
						continue
					}
					for _, key := range lsh.Query(sigs[i]) {
						j := key.(int)
						if j <= i {
							continue
						}
						candidates[w]++
						if estimate(sigs[i], sigs[j]) >= *threshold {
							found[w] = append(found[w], pair{i, j})
						}
					}
				}
			}
		}(w)
	}
	qwg.Wait()
	var pairs []pair
	cand := 0
	for w := range found {
		pairs = append(pairs, found[w]...)
		cand += candidates[w]
	}
	sort.Slice(pairs, func(x, y int) bool {
		if pairs[x].a != pairs[y].a {
			return pairs[x].a < pairs[y].a
		}
		return pairs[x].b < pairs[y].b
	})
	tQuery := time.Now()

	out := os.Stdout
	if *output != "-" {
		out, err = os.Create(*output)
		if err != nil {
			fmt.Fprintln(os.Stderr, "minhash_lsh:", err)
			os.Exit(1)
		}
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	for _, p := range pairs {
		a, _ := json.Marshal(ids[p.a])
		b, _ := json.Marshal(ids[p.b])
		bw.WriteString(`{"a":`)
		bw.Write(a)
		bw.WriteString(`,"b":`)
		bw.Write(b)
		bw.WriteString("}\n")
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "minhash_lsh:", err)
		os.Exit(1)
	}
	if out != os.Stdout {
		if err := out.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "minhash_lsh:", err)
			os.Exit(1)
		}
	}
	tEnd := time.Now()
	logf("%d documents, %d permutations, LSH bands l=%d rows k=%d (threshold %g), %d candidate pairs, %d pairs written",
		len(sigs), *numPerm, l, k, *threshold, cand, len(pairs))
	logf("seconds: read+sign %.2f, index %.2f, query+estimate %.2f, write %.2f, total %.2f",
		tSign.Sub(t0).Seconds(), tIndex.Sub(tSign).Seconds(), tQuery.Sub(tIndex).Seconds(),
		tEnd.Sub(tQuery).Seconds(), tEnd.Sub(t0).Seconds())
}
