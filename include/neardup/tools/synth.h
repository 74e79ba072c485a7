// synth.h: a deterministic generator of JSONL corpora with planted near-duplicate clusters and
// their ground truth, so that quality can be scored with `neardup eval` at any scale.
//
// Every output line is one document:
//   {"id":"d17","title":"…","text":"…","cluster":"d3","edit":"rate=0.031 char_sub=2 tag"}
//   id       "<id_prefix><index>", the index counting from 0 in output order (no padding).
//   title    a short headline-like text (omitted with `write_title = false`).
//   text     the body, about `doc_bytes` bytes of UTF-8 on average.
//   cluster  the ground truth: the id of the cluster's original (the member that comes first in the
//            output, written unedited). A document in no planted cluster is its own cluster: its
//            cluster is its own id. Score with
//            `neardup eval clusters.jsonl --truth corpus.jsonl --truth-field cluster`.
//   edit     (with `write_edit = true`) "singleton", "original", or for an edited copy the edits
//            made to it, e.g. "rate=0.031 char_ins=1 char_sub=2 word_del=1 tag truncate=0.042".
//            Chain links (see below): "chain_head length=10" for the head, and for link k
//            "chain_link=K head_jaccard=0.713 " followed by the edits of its last step.
//   chain    (chain links only) the id of the chain's head.
//
// Text. Without base files, documents are pseudo-text in Korean (Hangul words built from common
// syllables with particles and verb endings, with a sprinkle of English words and numbers) or
// English (common English words and pronounceable made-up words), drawn from fixed 8,192-word
// vocabularies with a Zipf-like (1/rank) frequency, in sentences and paragraphs. With base files,
// the text of every base record is pooled and each original is a mix of segments (about 100-400
// bytes, cut at word boundaries) taken from random places in the pool, so two originals share a
// whole segment only by rare chance and are never near-duplicates of each other, however many
// documents are made from a small base. (A base that is itself repetitive, like e-mail headers,
// still gives some similar segments; a base under 4 KiB of text is refused.)
//
// Planted clusters. Documents are planned in windows of `cluster_window` consecutive documents.
// In each window, about `dup_fraction` of the documents are put in clusters whose sizes follow
// P(size = s) ~ s^-cluster_size_exponent for s in [2, max_cluster_size] (a window's last cluster may
// be cut to fit); the members of a cluster are spread over random positions of the window, and the
// rest are singletons. The first member is the original; every other member is the original with
// edits, each copy at its own rate drawn uniformly from [edit_rate_min, edit_rate_max]:
//   word-level, each word (a run of non-space bytes) edited with probability `rate`, by one of
//     char_insert, char_delete, char_substitute   a code point of the word (a Hangul syllable in a
//                                                  Korean word, a letter or digit otherwise);
//     word_insert, word_delete, word_substitute   a random vocabulary word of the same script;
//   document-level, each applied with probability 1/3:
//     headline_tag  a tag such as "[속보]", "(종합2보)" or "UPDATE:" added to the title;
//     truncate      the end of the body cut off: a fraction drawn from (0, 2 x rate], at a word end;
//     quotes        straight quotes made curly and curly ones straight ('x' <-> ‘x’, "x" <-> “x”);
//                   a title without quotes gets one word quoted;
//     spacing       about a fifth of the spaces changed: dropped between two non-ASCII characters
//                   (Korean spacing variants), doubled elsewhere; line breaks made spaces.
// The title gets the word-level edits at the same rate. At rates up to about 0.03, copies keep a
// char:5 Jaccard similarity to their original of mostly 0.75 or more; unrelated documents are
// mostly below 0.1.
//
// Planted chains (`chains` > 0; none by default). A chain is `chain_length` documents, its head an
// original and every further link the previous link with the edits above at a per-step rate drawn
// from [chain_edit_rate_min, chain_edit_rate_max]. At the defaults (10 links, 0.03 to 0.04)
// neighbours have a char:5 Jaccard of about 0.92 (99% of them 0.8 or more), a link is within 0.8
// of the head for one or two steps, and the two ends are at about 0.5 (0.3 at 20 links). Chains are
// planted after the clusters, on the singletons of a window, their links in output order at random
// positions; the `chains` are spread evenly over the windows (window w of W gets
// floor(chains (w+1) / W) - floor(chains w / W), fewer if its singletons run out).
// The truth of a chain is the star that a correct clustering may form around its head: a link
// whose body is within `chain_threshold` of the head's body (exact char:5 Jaccard after default
// normalization, the measure `neardup cluster` estimates) has the head's id as its cluster; every
// other link is its own cluster, although it is a near-duplicate of its neighbours. Joining two
// links outside one head star is therefore scored as a false pair; the field `chain` (the head's
// id, on every link of a chain and on no other document) names the whole chain, so that
// `neardup eval --truth-field chain` or a look at the two ends tells whether a clustering merged
// the chain. Making link k replays the k edit steps from the head, so chains cost O(length^2)
// edits; keep them short (2 to 1000 links).
//
// Planted variant clusters (`variants` > 0; none by default), like the citations of one paper in
// citation-matching data. Each is a base record and `variant_size_min` to `variant_size_max`
// variants of it (the size drawn uniformly, the base included), all with the base's id as their
// cluster; the base is the member that comes first in the output and is written as made. A base is
// a citation of a few short segments built from the English vocabulary (Korean words in the title
// for a `korean_share` of them; with base files, the title is a window of the base text):
//   authors  one to five "First Last" names (made-up words), joined by ", " and " and ";
//   title    4 to 12 words;
//   venue    "Proceedings of the International Conference on Foo Bar", "Journal of …", …;
//   pages    (seven in ten) "vol. 12, pp. 233-245" or "pp. 233-245";
//   year     1970 to 2024;
// written "Authors. Title. Venue. vol. 12, pp. 233-245. 2016." as its text (an empty segment
// left out), with the title segment as its title.
// Every variant is an edit of the base (never of another variant), so a cluster is dense around
// its base while two of its variants can be far apart. A variant is the base written again in a
// style drawn at random (each part independently; the share of variants that get it in brackets),
// then misspelt:
//   order        (25%) the year after the authors, the title first, or the pages last;
//   authors      (40%) "F. Last", "Last, F.", "Last F" or "Last, First" instead of "First Last";
//                (40%) other joiners (", ", "; ", " & "); from three authors on, (12%) only the
//                first followed by "et al.";
//   punctuation  (30%) other separators between segments (", ", "; ", " - "); (15%) the title in
//                quotes; (25%) the year in parentheses; (10%) "In " before the venue; (40%) other
//                page styles ("pages 1-9", "1-9", "p. 1");
//   abbreviated  (20%) venue words cut to their usual abbreviation ("Proceedings" -> "Proc.",
//                "International" -> "Int.", "Journal" -> "J.") and other venue words of seven
//                letters or more to a prefix of 3 to 5 letters with a dot; (8%) a third of the
//                title's long words likewise;
//   dropped      (20%) the venue, the pages or the year left out;
//   duplicated   (8%) the year, the pages or the venue written twice;
//   misspelt     (30%) one or (20%) two character edits in words of three or more characters:
//                a character inserted, deleted or substituted, or two neighbours swapped.
// The variant's title field is its title segment as written. Its edit field lists what was
// drawn, e.g. "variant order=1 authors=2 et_al sep=0 abbrev_venue typos=1 drop=year" (order,
// author style and separator by number, 0 being the base's); the base's is "variant_base
// size=120". Measured at the defaults (tests/synth_test.cc, char:3 Jaccard after default
// normalization): a variant is at about 0.72 (median) of its base, 79% of them 0.6 or more, and
// 0.07 of another base; two variants of one base are at about 0.6 (median), and 17% of such pairs
// are below 0.6 although both are within 0.6 of the base: the clusters are stars, not cliques.
// Variant clusters are planted after the chains, on the singletons left in a window, their
// members at random positions; the `variants` are spread over the windows as chains are (fewer
// if a window's singletons run out: a cluster that does not fit is not planted).
//
// Determinism. The output depends only on the options (and the base files' content), never on the
// thread count or scheduling: document i is a function of (seed, i) and its window's plan. A larger
// corpus with the same options starts with the same documents as a smaller one, except in the
// smaller one's last, partial window (and, with chains, wherever the chains' spread over the
// windows differs). Without chains the output is the same as before chains existed, and without
// variants the same as before variants existed.
//
// Speed and memory. Generation streams: batches of `batch_documents` documents are made in
// parallel (oneTBB, `threads` workers) and written in order; memory holds the base pool, one window
// plan per batch in flight (8 bytes a document) and about 2 x threads batches of text.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/io/reader.h"

namespace neardup {

// The edits a copy can get (see above); combine with |.
enum SynthEdit : uint32_t {
  kEditCharInsert = 1u << 0,
  kEditCharDelete = 1u << 1,
  kEditCharSubstitute = 1u << 2,
  kEditWordInsert = 1u << 3,
  kEditWordDelete = 1u << 4,
  kEditWordSubstitute = 1u << 5,
  kEditHeadlineTag = 1u << 6,
  kEditTruncate = 1u << 7,
  kEditQuotes = 1u << 8,
  kEditSpacing = 1u << 9,
  kEditAll = (1u << 10) - 1,
};

// Parses a comma-separated list of edit names ("char_insert,word_delete,quotes"; "all" for every
// one; "none" for no edit, which makes copies exact duplicates).
absl::StatusOr<uint32_t> ParseSynthEdits(std::string_view list);
// The names of `edits`, comma-separated, in the order of the enum.
std::string SynthEditNames(uint32_t edits);

struct SynthOptions {
  uint64_t seed = 1;                 // any value; the same seed gives the same bytes
  uint64_t documents = 1000;         // documents to write, 0 to 2^40

  // Mean body length in UTF-8 bytes (before JSON escaping), 16 to 16 MiB; each original's length is
  // drawn uniformly from doc_bytes x [1 - doc_bytes_jitter, 1 + doc_bytes_jitter]. A JSONL line is
  // longer by its title (about 40-90 bytes), id, cluster, edit and escapes.
  uint64_t doc_bytes = 2000;
  double doc_bytes_jitter = 0.5;     // 0 to 0.9

  // Base texts: JSONL (or CSV/TSV/text, guessed from the name as `neardup cluster` does) whose
  // `base_fields.text` and `base_fields.title` fields are pooled, at most `max_base_bytes` of them.
  // Empty: pseudo-text.
  std::vector<std::string> base_files;
  FieldNames base_fields;
  uint64_t max_base_bytes = 256ull << 20;  // >= 4 KiB
  // Pseudo-text only: the share of originals written in Korean (the rest English), 0 to 1.
  double korean_share = 0.5;

  // Planted clusters.
  double dup_fraction = 0.3;         // share of documents in planted clusters, 0 to 1
  uint32_t max_cluster_size = 10;    // 2 to 2^24; more than cluster_window acts as cluster_window
  double cluster_size_exponent = 1.5;  // P(size s) ~ s^-exponent, 0 (uniform) to 10
  uint32_t cluster_window = 1u << 16;  // documents per planning window, 2 to 2^24
  double edit_rate_min = 0.01;       // per-copy edit rate range, 0 <= min <= max <= 1
  double edit_rate_max = 0.05;
  uint32_t edits = kEditAll;         // which edits copies may get (SynthEdit flags)

  // Planted chains (see above).
  uint64_t chains = 0;               // chains in the corpus, 0 to documents / chain_length
  uint32_t chain_length = 10;        // documents per chain (head included), 2 to 1000
  double chain_edit_rate_min = 0.03;  // per-step edit rate range, 0 <= min <= max <= 1
  double chain_edit_rate_max = 0.04;
  double chain_threshold = 0.8;      // the truth's star radius (char:5 Jaccard to the head), (0, 1]

  // Planted variant clusters (see above).
  uint64_t variants = 0;             // variant clusters, 0 to documents / variant_size_min
  uint32_t variant_size_min = 50;    // members per variant cluster (base included),
  uint32_t variant_size_max = 300;   //   2 <= min <= max <= 2^20, and with variants
                                     //   max <= cluster_window

  // Output.
  std::string id_prefix = "d";       // ids are id_prefix + index; JSON-escaped as needed
  bool write_title = true;
  bool write_edit = true;

  int threads = 0;                   // worker threads; 0 = all cores; >= 0
  uint32_t batch_documents = 1024;   // documents per parallel batch, >= 1

  // Checks every field; the message names the option as the CLI spells it ("--dup-fraction").
  absl::Status Validate() const;
};

struct SynthStats {
  uint64_t documents = 0;
  uint64_t bytes = 0;                // bytes written
  uint64_t clusters = 0;             // planted clusters (2 or more members)
  uint64_t clustered_documents = 0;  // documents in planted clusters, originals included
  uint64_t chains = 0;               // planted chains
  uint64_t chained_documents = 0;    // documents in planted chains, heads included
  uint64_t chain_links_near_head = 0;  // links (heads not counted) within chain_threshold of the head
  uint64_t variant_clusters = 0;     // planted variant clusters
  uint64_t variant_documents = 0;    // documents in them, bases included
  uint64_t base_records = 0;         // base records read
  uint64_t base_bytes = 0;           // bytes of base text pooled
};

// Receives the output in order, in pieces of about one batch; a non-OK Status stops generation and
// is returned by GenerateCorpus. Called from one thread at a time.
using SynthWriter = std::function<absl::Status(std::string_view bytes)>;

// Generates the corpus described by `options` (which must pass Validate(); it is checked again)
// and hands it to `write`. Fails when a base file cannot be read, has too little text, or `write`
// fails.
absl::StatusOr<SynthStats> GenerateCorpus(const SynthOptions& options, const SynthWriter& write);

// The same, writing to `out` (a failed stream gives an Internal error).
absl::StatusOr<SynthStats> GenerateCorpus(const SynthOptions& options, std::ostream& out);

}  // namespace neardup
