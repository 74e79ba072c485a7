// oracle_test.cc: the sketch-and-cluster stages against brute force. Every pair of documents gets
// its exact Jaccard similarity (char:5 shingle sets); MinHash -> LSH -> verification -> union-find
// must put truly similar pairs together and rarely join dissimilar ones by a direct edge.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/cluster/cluster.h"
#include "neardup/candidates/lsh.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "neardup/cluster/verify.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neardup {
namespace {

constexpr double kThreshold = 0.8;
constexpr int kNumPerm = 128;

struct Measured {
  size_t docs = 0;
  uint64_t all_pairs = 0;
  uint64_t similar_pairs = 0;      // exact J >= 0.85
  uint64_t similar_together = 0;   // ... of which end in one cluster
  uint64_t similar_direct = 0;     // ... of which are joined by a direct edge
  double expected_direct = 0;      // sum over similar pairs of P(candidate) * P(estimate >= T)
  uint64_t near_threshold_pairs = 0;  // exact J in [T - 0.2, 1]
  uint64_t candidates = 0;
  uint64_t edges = 0;
  uint64_t bad_edges = 0;          // edges whose exact J < 0.7
  uint64_t below_threshold_edges = 0;  // edges whose exact J < T
};

// P(Binomial(n, p) >= k): the chance that verification accepts a pair of true similarity p.
double BinomialTail(int n, double p, int k) {
  if (p >= 1) return 1;
  double sum = 0;
  // lgamma_r, not std::lgamma: this runs inside parallel_for and lgamma writes the global
  // signgam (a data race ThreadSanitizer reports).
  int sign = 0;
  for (int i = k; i <= n; ++i) {
    sum += std::exp(::lgamma_r(n + 1.0, &sign) - ::lgamma_r(i + 1.0, &sign) -
                    ::lgamma_r(n - i + 1.0, &sign) + i * std::log(p) + (n - i) * std::log1p(-p));
  }
  return sum;
}

Measured RunOracle(const std::vector<std::string>& texts) {
  Measured m;
  const size_t n = texts.size();
  m.docs = n;
  m.all_pairs = static_cast<uint64_t>(n) * (n - 1) / 2;

  // Sets exactly as the pipeline would build them.
  const Normalizer normalizer;
  const ShingleSpec spec;  // char:5
  std::vector<std::vector<uint64_t>> sets(n);
  std::string normalized;
  for (size_t i = 0; i < n; ++i) {
    normalizer.Normalize(texts[i], &normalized);
    sets[i] = ShingleSet(normalized, spec);
  }

  // The system under test.
  const MinHasher hasher(kNumPerm);
  std::vector<uint32_t> sigs(n * kNumPerm);
  for (size_t i = 0; i < n; ++i) {
    hasher.Sign(sets[i], absl::MakeSpan(&sigs[i * kNumPerm], kNumPerm));
  }
  const LshParams params = ChooseLshParams(kThreshold, kNumPerm);
  const auto candidates = FindCandidatePairs(sigs, kNumPerm, n, params, 1000, nullptr);
  const auto edges = VerifyCandidates(candidates, sigs, kNumPerm, kThreshold, true);
  UnionFind uf(n);
  for (const Edge& e : edges) uf.Union(e.a, e.b);
  m.candidates = candidates.size();
  m.edges = edges.size();
  std::vector<CandidatePair> edge_pairs;
  for (const Edge& e : edges) edge_pairs.push_back({e.a, e.b});  // sorted: candidates were

  // The oracle: exact Jaccard of every pair (parallel only to keep Debug builds quick). The
  // size bound J(A, B) <= min(|A|, |B|) / max(|A|, |B|) is exact, so a pair whose bound is
  // below 0.6 is known to lie below every level counted here without merging the sets.
  std::vector<uint32_t> root(n);
  for (size_t i = 0; i < n; ++i) root[i] = uf.Find(static_cast<uint32_t>(i));
  const int min_agree = static_cast<int>(std::ceil(kThreshold * kNumPerm - 1e-9));
  std::atomic<uint64_t> similar{0}, together{0}, direct{0}, near{0};
  double expected_direct = 0;
  std::mutex mu;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 8), [&](const tbb::blocked_range<size_t>& r) {
    uint64_t s = 0, t = 0, d = 0, nr = 0;
    double exp_d = 0;
    for (size_t a = r.begin(); a != r.end(); ++a) {
      for (size_t b = a + 1; b < n; ++b) {
        const size_t small = std::min(sets[a].size(), sets[b].size());
        const size_t large = std::max(sets[a].size(), sets[b].size());
        if (static_cast<double>(small) < (kThreshold - 0.2) * static_cast<double>(large)) continue;
        const double j = ExactJaccard(sets[a], sets[b]);
        if (j >= kThreshold - 0.2) ++nr;
        if (j < 0.85) continue;
        ++s;
        if (root[a] == root[b]) ++t;
        const CandidatePair p{static_cast<uint32_t>(a), static_cast<uint32_t>(b)};
        if (std::binary_search(edge_pairs.begin(), edge_pairs.end(), p)) ++d;
        exp_d += CandidateProbability(j, params) * BinomialTail(kNumPerm, j, min_agree);
      }
    }
    similar += s;
    together += t;
    direct += d;
    near += nr;
    std::lock_guard<std::mutex> lock(mu);
    expected_direct += exp_d;
  });
  m.similar_pairs = similar;
  m.similar_together = together;
  m.similar_direct = direct;
  m.near_threshold_pairs = near;
  m.expected_direct = expected_direct;
  for (const Edge& e : edges) {
    const double j = ExactJaccard(sets[e.a], sets[e.b]);
    if (j < 0.7) ++m.bad_edges;
    if (j < kThreshold) ++m.below_threshold_edges;
  }
  return m;
}

void Report(const char* name, const Measured& m) {
  const double recall = m.similar_pairs ? double(m.similar_together) / m.similar_pairs : 1.0;
  const double direct = m.similar_pairs ? double(m.similar_direct) / m.similar_pairs : 1.0;
  const double expected = m.similar_pairs ? m.expected_direct / m.similar_pairs : 1.0;
  const double bad = m.edges ? double(m.bad_edges) / m.edges : 0.0;
  std::cout << name << ": " << m.docs << " docs, " << m.all_pairs << " pairs, "
            << m.near_threshold_pairs << " with J >= 0.6, " << m.similar_pairs
            << " with J >= 0.85\n"
            << "  J >= 0.85 in one cluster: " << m.similar_together << " (" << 100 * recall
            << "%); joined by a direct edge: " << 100 * direct << "% (theory " << 100 * expected
            << "%)\n"
            << "  candidates " << m.candidates << ", edges " << m.edges << ", edges with J < 0.7: "
            << m.bad_edges << " (" << 100 * bad << "%), with J < 0.8: "
            << m.below_threshold_edges << "\n";
  ::testing::Test::RecordProperty("similar_pairs", std::to_string(m.similar_pairs));
  ::testing::Test::RecordProperty("recall_in_cluster", std::to_string(recall));
  ::testing::Test::RecordProperty("direct_edge_recall", std::to_string(direct));
  ::testing::Test::RecordProperty("edges", std::to_string(m.edges));
  ::testing::Test::RecordProperty("edges_below_0_7", std::to_string(m.bad_edges));
}

void ExpectWithinBounds(const Measured& m) {
  ASSERT_GT(m.similar_pairs, 0u);
  EXPECT_GE(static_cast<double>(m.similar_together), 0.97 * m.similar_pairs);
  EXPECT_LT(static_cast<double>(m.bad_edges), 0.01 * m.edges);
  // Direct edges alone follow theory: the shortfall against the S-curve times the binomial
  // verification tail stays within 4 standard deviations (a sum of Bernoullis).
  const double sd = std::sqrt(std::max(1.0, m.expected_direct * 0.25));
  EXPECT_GE(static_cast<double>(m.similar_direct), m.expected_direct - 4 * sd);
}

// Random lower-case words; an edit replaces, inserts or deletes one character.
std::string RandomText(std::mt19937_64& rng, size_t length) {
  std::string s;
  while (s.size() < length) {
    if (!s.empty()) s += ' ';
    const size_t word = 2 + rng() % 8;
    for (size_t i = 0; i < word; ++i) s += static_cast<char>('a' + rng() % 26);
  }
  return s;
}

std::string Mutate(std::mt19937_64& rng, const std::string& base, double rate) {
  std::uniform_real_distribution<double> u(0, 1);
  std::string out;
  for (char c : base) {
    if (u(rng) >= rate) {
      out += c;
      continue;
    }
    switch (rng() % 3) {
      case 0: out += static_cast<char>('a' + rng() % 26); break;  // substitute
      case 1: out += c; out += static_cast<char>('a' + rng() % 26); break;  // insert
      default: break;  // delete
    }
  }
  return out;
}

// Clusters of a base text and 1-4 edited copies at edit rates up to 8% per character, which puts
// pairs all over J in [0.5, 1] (one edit touches up to 5 char:5 shingles), plus unrelated texts.
std::vector<std::string> SyntheticCorpus(uint64_t seed, size_t docs) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> rate(0.0, 0.08);
  std::vector<std::string> texts;
  while (texts.size() < docs) {
    const std::string base = RandomText(rng, 60 + rng() % 240);
    texts.push_back(base);
    if (rng() % 4 == 0) continue;  // a quarter stay alone
    const int copies = 1 + static_cast<int>(rng() % 4);
    for (int c = 0; c < copies && texts.size() < docs; ++c) {
      texts.push_back(rng() % 10 == 0 ? base : Mutate(rng, base, rate(rng)));
    }
  }
  std::shuffle(texts.begin(), texts.end(), rng);  // cluster members are not adjacent
  return texts;
}

TEST(OracleTest, SyntheticCorporaAgreeWithBruteForceJaccard) {
  for (uint64_t seed : {1u, 2u}) {
    const Measured m = RunOracle(SyntheticCorpus(seed, 1500));
    Report(seed == 1 ? "synthetic seed 1" : "synthetic seed 2", m);
    EXPECT_GT(m.near_threshold_pairs, 1000u);  // the corpus tests the threshold region
    ExpectWithinBounds(m);
  }
}

// Decodes the JSON string starting at s[i] (just after the opening quote). Enough JSON for
// the "text" field of a trusted test corpus: escapes incl. \uXXXX surrogate pairs.
std::string DecodeJsonString(std::string_view s, size_t i) {
  std::string out;
  auto put = [&](uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  auto hex4 = [&](size_t at) {
    return static_cast<uint32_t>(std::stoul(std::string(s.substr(at, 4)), nullptr, 16));
  };
  while (i < s.size() && s[i] != '"') {
    if (s[i] != '\\') {
      out += s[i++];
      continue;
    }
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        uint32_t cp = hex4(i);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && s.substr(i, 2) == "\\u") {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(i + 2) - 0xDC00);
          i += 6;
        }
        put(cp);
        break;
      }
      default: out += e;  // \" \\ \/
    }
  }
  return out;
}

// UTF-8 text as a sequence of code points, each kept as its bytes.
std::vector<std::string> CodePoints(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// A rewrite of a real headline: code-point edits at `rate` (replacement characters drawn from
// the headline itself, so Hangul stays Hangul), sometimes with a tag added in front or behind as
// the news sites do.
std::string RewriteHeadline(std::mt19937_64& rng, const std::string& title, double rate) {
  const std::vector<std::string> cps = CodePoints(title);
  std::uniform_real_distribution<double> u(0, 1);
  std::string out;
  for (const std::string& cp : cps) {
    if (u(rng) >= rate) {
      out += cp;
      continue;
    }
    const std::string& other = cps[rng() % cps.size()];
    switch (rng() % 3) {
      case 0: out += other; break;
      case 1: out += cp; out += other; break;
      default: break;
    }
  }
  static const char* const kTags[] = {" [종합]", " [단독]", "[포토] ", " (영상)"};
  switch (rng() % 6) {
    case 0: out += kTags[rng() % 2]; break;
    case 1: out = kTags[2] + out; break;
    case 2: out += kTags[3]; break;
    default: break;
  }
  return out;
}

TEST(OracleTest, RealKoreanHeadlinesAgreeWithBruteForceJaccard) {
  const std::string path =
      NEARDUP_SOURCE_DIR "/../shared/data/kocohub-ko-entertainment-titles/docs.jsonl";
  std::ifstream in(path);
  if (!in) FAIL() << "corpus not found: " << path;
  std::vector<std::string> titles;
  std::string line;
  while (std::getline(in, line)) {
    const size_t at = line.find("\"text\": \"");
    ASSERT_NE(at, std::string::npos) << line;
    titles.push_back(DecodeJsonString(line, at + 9));
  }
  ASSERT_GT(titles.size(), 1000u);

  // The corpus alone: its titles are unique strings, and stories that repeat are rewritten
  // too much to reach J = 0.85 at char:5, so this checks the false-positive side.
  const Measured real = RunOracle(titles);
  Report("kocohub-ko-entertainment-titles as is", real);
  EXPECT_LT(static_cast<double>(real.bad_edges), 0.01 * std::max<uint64_t>(real.edges, 100));

  // With planted rewrites of half of the headlines (edit rates up to 6% per code point, tags),
  // so that the ground truth has many pairs near the threshold in real Korean text.
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> rate(0.0, 0.06);
  std::vector<std::string> texts = titles;
  for (const std::string& t : titles) {
    if (rng() % 2 == 0) continue;
    const int copies = 1 + static_cast<int>(rng() % 2);
    for (int c = 0; c < copies; ++c) texts.push_back(RewriteHeadline(rng, t, rate(rng)));
  }
  std::shuffle(texts.begin(), texts.end(), rng);
  const Measured planted = RunOracle(texts);
  Report("kocohub-ko-entertainment-titles with planted rewrites", planted);
  EXPECT_GT(planted.similar_pairs, 300u);
  ExpectWithinBounds(planted);
}

}  // namespace
}  // namespace neardup
