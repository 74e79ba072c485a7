#include "neardup/tools/synth.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "neardup/io/reader.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {
namespace {

#define EXPECT_OK(expr) EXPECT_TRUE((expr).ok()) << (expr).status()

const char kKocoBase[] =
    NEARDUP_SOURCE_DIR "/../shared/data/kocohub-ko-entertainment-titles/docs.jsonl";

struct Doc {
  std::string id, title, text, cluster, edit;
};

std::string Generate(const SynthOptions& options, SynthStats* stats = nullptr) {
  std::ostringstream out;
  auto result = GenerateCorpus(options, out);
  EXPECT_TRUE(result.ok()) << result.status();
  if (stats != nullptr && result.ok()) *stats = *result;
  return out.str();
}

// Parses every line with neardup's own JSONL parser; the cluster and edit fields are read by
// parsers that take them as their id and text fields.
std::vector<Doc> Parse(const std::string& jsonl) {
  RecordParser main(Format::kJsonl, FieldNames{}, "synth", {});
  RecordParser extra(Format::kJsonl, FieldNames{"cluster", "edit", "title"}, "synth", {});
  std::vector<Doc> docs;
  Document d, e;
  uint64_t line = 0;
  for (absl::string_view raw : absl::StrSplit(jsonl, '\n', absl::SkipEmpty())) {
    ++line;
    const std::string_view record(raw.data(), raw.size());
    absl::Status s = main.Parse(record, line, &d);
    EXPECT_TRUE(s.ok()) << s << " in line " << line << ": " << record.substr(0, 200);
    s = extra.Parse(record, line, &e);
    EXPECT_TRUE(s.ok()) << s;
    docs.push_back({d.id, d.title, d.body, e.id, e.body});
  }
  return docs;
}

std::vector<uint64_t> Shingles(const Normalizer& normalizer, const std::string& text) {
  std::string normalized;
  normalizer.Normalize(text, TextField::kBody, &normalized);
  return ShingleSet(normalized, ShingleSpec{});
}

struct Similarities {
  std::vector<double> planted;    // each copy against its original
  std::vector<double> unrelated;  // random pairs from different clusters
};

Similarities Measure(const std::vector<Doc>& docs, size_t unrelated_pairs) {
  const Normalizer normalizer;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < docs.size(); ++i) index[docs[i].id] = i;
  std::vector<std::vector<uint64_t>> sets;
  for (const Doc& d : docs) sets.push_back(Shingles(normalizer, d.text));
  Similarities sim;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].cluster == docs[i].id) continue;
    sim.planted.push_back(ExactJaccard(sets[i], sets[index.at(docs[i].cluster)]));
  }
  std::mt19937_64 rng(5);
  while (sim.unrelated.size() < unrelated_pairs) {
    const size_t a = rng() % docs.size(), b = rng() % docs.size();
    if (docs[a].cluster == docs[b].cluster) continue;
    sim.unrelated.push_back(ExactJaccard(sets[a], sets[b]));
  }
  return sim;
}

double ShareAtLeast(const std::vector<double>& v, double x) {
  return static_cast<double>(std::count_if(v.begin(), v.end(), [x](double s) { return s >= x; })) /
         static_cast<double>(v.size());
}

SynthOptions Small() {
  SynthOptions o;
  o.documents = 3000;
  o.doc_bytes = 1000;
  o.cluster_window = 700;      // several windows, the last one partial
  o.batch_documents = 64;      // many batches in flight
  o.edit_rate_min = 0.01;
  o.edit_rate_max = 0.03;
  return o;
}

TEST(SynthTest, SameSeedGivesSameBytesAtAnyThreadCount) {
  SynthOptions o = Small();
  o.threads = 1;
  const std::string one = Generate(o);
  o.threads = 2;
  const std::string two = Generate(o);
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, two);
  o.batch_documents = 1000;
  EXPECT_EQ(one, Generate(o));
  o.seed = 2;
  EXPECT_NE(one, Generate(o));
}

TEST(SynthTest, EveryLineIsValidJsonWithIdsInOrder) {
  SynthOptions o = Small();
  o.id_prefix = "x\"";  // escaped in the output
  SynthStats stats;
  const std::string out = Generate(o, &stats);
  const std::vector<Doc> docs = Parse(out);
  ASSERT_EQ(docs.size(), o.documents);
  EXPECT_EQ(stats.documents, o.documents);
  EXPECT_EQ(stats.bytes, out.size());
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), static_cast<long>(o.documents));
  for (size_t i = 0; i < docs.size(); ++i) {
    ASSERT_EQ(docs[i].id, "x\"" + std::to_string(i));
    EXPECT_FALSE(docs[i].title.empty());
    EXPECT_FALSE(docs[i].text.empty());
  }
}

TEST(SynthTest, PlantedClustersFollowTheOptions) {
  SynthOptions o = Small();
  o.documents = 20000;
  o.cluster_window = 5000;
  o.dup_fraction = 0.4;
  o.max_cluster_size = 6;
  SynthStats stats;
  const std::vector<Doc> docs = Parse(Generate(o, &stats));
  std::map<std::string, std::vector<size_t>> clusters;
  for (size_t i = 0; i < docs.size(); ++i) clusters[docs[i].cluster].push_back(i);
  uint64_t clustered = 0, multi = 0;
  for (const auto& [label, members] : clusters) {
    // The label is the first member's id; members stay in one window.
    EXPECT_EQ(docs[members.front()].id, label);
    EXPECT_LE(members.size(), 6u);
    EXPECT_EQ(members.front() / 5000, members.back() / 5000);
    if (members.size() < 2) {
      EXPECT_EQ(docs[members.front()].edit, "singleton");
      continue;
    }
    ++multi;
    clustered += members.size();
    EXPECT_EQ(docs[members.front()].edit, "original");
    for (size_t k = 1; k < members.size(); ++k) {
      EXPECT_EQ(docs[members[k]].edit.rfind("rate=0.0", 0), 0u) << docs[members[k]].edit;
    }
  }
  EXPECT_EQ(stats.clusters, multi);
  EXPECT_EQ(stats.clustered_documents, clustered);
  EXPECT_NEAR(static_cast<double>(clustered) / o.documents, 0.4, 0.01);
}

TEST(SynthTest, DocumentSizesMeetTheTarget) {
  for (uint64_t target : {300u, 2000u, 8000u}) {
    SynthOptions o = Small();
    o.documents = 1000;
    o.doc_bytes = target;
    o.dup_fraction = 0;
    const std::vector<Doc> docs = Parse(Generate(o));
    double total = 0;
    for (const Doc& d : docs) {
      total += static_cast<double>(d.text.size());
      EXPECT_GE(d.text.size(), target / 2 - 1);
      EXPECT_LE(d.text.size(), target * 3 / 2 + 64);
    }
    EXPECT_NEAR(total / docs.size(), static_cast<double>(target), target * 0.05) << target;
  }
}

TEST(SynthTest, PseudoTextMixesKoreanAndEnglish) {
  SynthOptions o = Small();
  o.documents = 400;
  const std::vector<Doc> docs = Parse(Generate(o));
  int korean = 0;
  for (const Doc& d : docs) {
    korean += d.text.find("\xEB\x8B\xA4.") != std::string::npos;  // "다."
  }
  EXPECT_GT(korean, 140);
  EXPECT_LT(korean, 260);
  o.korean_share = 0;
  for (const Doc& d : Parse(Generate(o))) {
    EXPECT_EQ(d.text.find("\xEB\x8B\xA4."), std::string::npos);
  }
}

// The ground truth is consistent: copies are near-duplicates of their original (at low edit
// rates), unrelated documents are not.
TEST(SynthTest, PlantedCopiesAreSimilarAndOthersAreNot) {
  SynthOptions o = Small();
  o.documents = 2000;
  o.doc_bytes = 2000;
  const Similarities sim = Measure(Parse(Generate(o)), 3000);
  ASSERT_GT(sim.planted.size(), 300u);
  EXPECT_GE(ShareAtLeast(sim.planted, 0.7), 0.95);
  EXPECT_LE(ShareAtLeast(sim.unrelated, 0.3), 0.01);
}

TEST(SynthTest, HigherEditRatesGiveLowerSimilarity) {
  SynthOptions o = Small();
  o.documents = 1000;
  o.dup_fraction = 0.5;
  o.edit_rate_min = o.edit_rate_max = 0.2;
  const Similarities sim = Measure(Parse(Generate(o)), 100);
  ASSERT_FALSE(sim.planted.empty());
  EXPECT_LE(ShareAtLeast(sim.planted, 0.7), 0.2);
}

TEST(SynthTest, NoEditsMakeExactCopies) {
  SynthOptions o = Small();
  o.edits = 0;
  for (const Doc& d : Parse(Generate(o))) {
    if (d.cluster == d.id) continue;
    EXPECT_EQ(d.edit, "rate=0.0" + d.edit.substr(8));
  }
  std::map<std::string, Doc> by_id;
  const std::vector<Doc> docs = Parse(Generate(o));
  for (const Doc& d : docs) by_id[d.id] = d;
  for (const Doc& d : docs) {
    EXPECT_EQ(d.text, by_id[d.cluster].text);
    EXPECT_EQ(d.title, by_id[d.cluster].title);
  }
}

TEST(SynthTest, EachEditAloneChangesCopies) {
  for (const char* name : {"char_insert", "char_delete", "char_substitute", "word_insert",
                           "word_delete", "word_substitute", "headline_tag", "truncate", "quotes",
                           "spacing"}) {
    SynthOptions o = Small();
    o.documents = 600;
    o.dup_fraction = 0.5;
    o.edit_rate_min = o.edit_rate_max = 0.1;
    auto edits = ParseSynthEdits(name);
    ASSERT_TRUE(edits.ok());
    o.edits = *edits;
    const std::vector<Doc> docs = Parse(Generate(o));
    std::map<std::string, const Doc*> by_id;
    for (const Doc& d : docs) by_id[d.id] = &d;
    int copies = 0, changed = 0;
    for (const Doc& d : docs) {
      if (d.cluster == d.id) continue;
      ++copies;
      const Doc& orig = *by_id[d.cluster];
      changed += d.text != orig.text || d.title != orig.title;
    }
    ASSERT_GT(copies, 100) << name;
    EXPECT_GT(changed, copies / 4) << name;
  }
}

TEST(SynthTest, BaseFileDocumentsAreMixesOfTheBase) {
  if (access(kKocoBase, R_OK) != 0) FAIL() << kKocoBase << " is absent";
  SynthOptions o = Small();
  o.documents = 2000;
  o.doc_bytes = 2000;
  o.base_files = {kKocoBase};
  o.threads = 1;
  SynthStats stats;
  const std::string one = Generate(o, &stats);
  EXPECT_EQ(stats.base_records, 1792u);
  o.threads = 2;
  EXPECT_EQ(one, Generate(o));
  const std::vector<Doc> docs = Parse(one);
  ASSERT_EQ(docs.size(), o.documents);
  double total = 0;
  for (const Doc& d : docs) total += static_cast<double>(d.text.size());
  EXPECT_NEAR(total / docs.size(), 2000, 100);
  // The base is Korean headlines: its text shows through.
  EXPECT_NE(docs[0].text.find_first_of("\xEA\xEB\xEC\xED"), std::string::npos);
  const Similarities sim = Measure(docs, 3000);
  ASSERT_GT(sim.planted.size(), 300u);
  EXPECT_GE(ShareAtLeast(sim.planted, 0.7), 0.9);
  // Two originals drawn from a 0.5 MB base share a segment only by chance.
  EXPECT_LE(ShareAtLeast(sim.unrelated, 0.3), 0.01);
}

TEST(SynthTest, BaseErrorsAreReported) {
  SynthOptions o = Small();
  o.base_files = {"/nonexistent/base.jsonl"};
  std::ostringstream out;
  EXPECT_FALSE(GenerateCorpus(o, out).ok());
  const std::string tiny = testing::TempDir() + "/synth_tiny_base.jsonl";
  std::ofstream(tiny) << "{\"id\":\"a\",\"text\":\"too short\"}\n";
  o.base_files = {tiny};
  auto r = GenerateCorpus(o, out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--base"), std::string::npos) << r.status();
  std::remove(tiny.c_str());
}

TEST(SynthTest, WriterErrorStopsGeneration) {
  SynthOptions o = Small();
  o.documents = 100000;
  int calls = 0;
  auto r = GenerateCorpus(o, [&](std::string_view) {
    return ++calls == 3 ? absl::DataLossError("disk full") : absl::OkStatus();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "disk full");
  EXPECT_EQ(calls, 3);
}

TEST(SynthTest, ZeroDocumentsWriteNothing) {
  SynthOptions o = Small();
  o.documents = 0;
  EXPECT_EQ(Generate(o), "");
}

TEST(SynthTest, ValidateNamesTheFlag) {
  auto check = [](auto change, const char* flag) {
    SynthOptions o;
    change(o);
    absl::Status s = o.Validate();
    EXPECT_FALSE(s.ok()) << flag;
    EXPECT_NE(s.message().find(flag), std::string::npos) << s;
  };
  check([](SynthOptions& o) { o.dup_fraction = 1.5; }, "--dup-fraction");
  check([](SynthOptions& o) { o.edit_rate_min = 0.3, o.edit_rate_max = 0.2; }, "--edit-rate");
  check([](SynthOptions& o) { o.doc_bytes = 3; }, "--doc-bytes");
  check([](SynthOptions& o) { o.max_cluster_size = 1; }, "--max-cluster-size");
  check([](SynthOptions& o) { o.korean_share = -0.1; }, "--korean-share");
  check([](SynthOptions& o) { o.threads = -1; }, "--threads");
  check([](SynthOptions& o) { o.chain_length = 1; }, "--chain-length");
  check([](SynthOptions& o) { o.chains = 101; }, "--chains");  // 1000 documents, 10 a chain
  check([](SynthOptions& o) { o.chain_edit_rate_max = 1.5; }, "--chain-edit-rate");
  check([](SynthOptions& o) { o.chain_threshold = 0; }, "--chain-threshold");
  EXPECT_TRUE(SynthOptions{}.Validate().ok());
}

// FNV-1a of the output: pins the bytes of a corpus without chains (the value is that of the
// generator before chains were added, commit bcb35b1), which a flag that is off by default must
// not change.
uint64_t Fnv1a(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

TEST(SynthTest, OutputWithoutChainsIsPinned) {
  SynthOptions o = Small();
  const std::string plain = Generate(o);
  EXPECT_EQ(Fnv1a(plain), 0x98d719033081cd19ULL) << "the corpus of existing flags changed";
  o.chain_length = 3;                // chain settings without chains change nothing
  o.chain_edit_rate_min = 0.2;
  o.chain_edit_rate_max = 0.3;
  EXPECT_EQ(Generate(o), plain);
}

// Chain links: the "chain" field (the head's id) on every link and on nothing else.
std::vector<std::string> ChainField(const std::string& jsonl) {
  RecordParser parser(Format::kJsonl, FieldNames{"chain", "text", "title"}, "synth", {});
  std::vector<std::string> chain;
  Document d;
  uint64_t line = 0;
  for (absl::string_view raw : absl::StrSplit(jsonl, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(parser.Parse(std::string_view(raw.data(), raw.size()), ++line, &d).ok());
    chain.push_back(d.id.rfind("synth:", 0) == 0 ? "" : d.id);  // FILE:LINE when absent
  }
  return chain;
}

TEST(SynthTest, ChainsAreEditsOfEditsWithATruthAroundTheirHead) {
  SynthOptions o = Small();
  o.documents = 3000;
  o.cluster_window = 1000;
  o.chains = 40;
  o.chain_length = 8;
  o.threads = 1;
  SynthStats stats;
  const std::string out = Generate(o, &stats);
  o.threads = 2;
  o.batch_documents = 7;
  EXPECT_EQ(Generate(o), out) << "chains depend on threads or batches";
  const std::vector<Doc> docs = Parse(out);
  const std::vector<std::string> chain = ChainField(out);
  ASSERT_EQ(docs.size(), 3000u);
  EXPECT_EQ(stats.chains, 40u);
  EXPECT_EQ(stats.chained_documents, 320u);

  std::map<std::string, std::vector<size_t>> chains;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!chain[i].empty()) chains[chain[i]].push_back(i);
  }
  ASSERT_EQ(chains.size(), 40u);
  const Normalizer normalizer;
  std::vector<double> neighbours, ends;
  uint64_t near_head = 0;
  std::map<size_t, int> per_window;
  for (const auto& [head, links] : chains) {
    ASSERT_EQ(links.size(), 8u);
    EXPECT_EQ(docs[links[0]].id, head);
    EXPECT_EQ(docs[links[0]].cluster, head);
    EXPECT_EQ(docs[links[0]].edit, "chain_head length=8");
    EXPECT_EQ(links.front() / 1000, links.back() / 1000) << "a chain left its window";
    ++per_window[links.front() / 1000];
    const std::vector<uint64_t> head_set = Shingles(normalizer, docs[links[0]].text);
    std::vector<uint64_t> previous = head_set;
    for (size_t k = 1; k < links.size(); ++k) {
      const Doc& d = docs[links[k]];
      const std::vector<uint64_t> set = Shingles(normalizer, d.text);
      const double to_head = ExactJaccard(set, head_set);
      neighbours.push_back(ExactJaccard(set, previous));
      previous = set;
      // The truth: the head's cluster exactly when within chain_threshold of the head.
      EXPECT_EQ(d.cluster, to_head >= o.chain_threshold ? head : d.id) << d.edit;
      near_head += to_head >= o.chain_threshold;
      const std::string prefix = "chain_link=" + std::to_string(k) + " head_jaccard=";
      ASSERT_EQ(d.edit.rfind(prefix, 0), 0u) << d.edit;
      EXPECT_NEAR(std::stod(d.edit.substr(prefix.size(), 5)), to_head, 0.0006) << d.edit;
    }
    ends.push_back(ExactJaccard(previous, head_set));
  }
  EXPECT_EQ(stats.chain_links_near_head, near_head);
  // Spread evenly: 40 chains over 3 windows.
  EXPECT_EQ(per_window[0], 13);
  EXPECT_EQ(per_window[1], 13);
  EXPECT_EQ(per_window[2], 14);
  // Neighbours are near-duplicates, the ends are not.
  EXPECT_GE(ShareAtLeast(neighbours, 0.8), 0.95);
  EXPECT_LE(ShareAtLeast(ends, 0.8), 0.0);
  EXPECT_GE(ShareAtLeast(ends, 0.3), 0.9);
  // Documents outside chains keep their roles: planted clusters and singletons.
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!chain[i].empty()) continue;
    EXPECT_EQ(docs[i].edit.rfind("chain", 0), std::string::npos);
  }
}

TEST(SynthTest, ChainsOnlyTakeSingletons) {
  SynthOptions o = Small();
  o.documents = 100;
  o.cluster_window = 100;
  o.dup_fraction = 0.9;  // 10 singletons left: one chain of 10 fits
  o.chains = 5;
  o.chain_length = 10;
  SynthStats stats;
  Generate(o, &stats);
  EXPECT_EQ(stats.chains, 1u);
  EXPECT_EQ(stats.chained_documents, 10u);
}

TEST(SynthTest, ParseSynthEditsKnowsEveryName) {
  EXPECT_EQ(*ParseSynthEdits("all"), static_cast<uint32_t>(kEditAll));
  EXPECT_EQ(*ParseSynthEdits("none"), 0u);
  EXPECT_EQ(*ParseSynthEdits("quotes,truncate"), kEditQuotes | kEditTruncate);
  EXPECT_EQ(*ParseSynthEdits(SynthEditNames(kEditAll)), static_cast<uint32_t>(kEditAll));
  EXPECT_FALSE(ParseSynthEdits("typo").ok());
}

// Variant clusters: char:3 Jaccard after default normalization, as citation matching measures it.
std::vector<uint64_t> Char3(const Normalizer& normalizer, const std::string& text) {
  std::string normalized;
  normalizer.Normalize(text, TextField::kBody, &normalized);
  return ShingleSet(normalized, ShingleSpec{ShingleUnit::kChar, 3});
}

SynthOptions WithVariants() {
  SynthOptions o = Small();
  o.documents = 6000;
  o.cluster_window = 2000;
  o.chains = 30;
  o.chain_length = 5;
  o.variants = 12;  // defaults: 50 to 300 members
  return o;
}

// Members of each variant cluster (by the base's id), in output order.
std::map<std::string, std::vector<size_t>> VariantClusters(const std::vector<Doc>& docs) {
  std::map<std::string, std::vector<size_t>> clusters;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].edit.rfind("variant", 0) == 0) clusters[docs[i].cluster].push_back(i);
  }
  return clusters;
}

TEST(SynthTest, VariantClustersHaveTheirSizesAndTheirBaseAsTruth) {
  SynthOptions o = WithVariants();
  SynthStats stats;
  const std::string out = Generate(o, &stats);
  const std::vector<Doc> docs = Parse(out);
  ASSERT_EQ(docs.size(), o.documents);
  EXPECT_EQ(stats.variant_clusters, 12u);
  const auto clusters = VariantClusters(docs);
  ASSERT_EQ(clusters.size(), 12u);
  uint64_t members = 0;
  std::map<size_t, int> per_window;
  const std::vector<std::string> chain = ChainField(out);
  for (const auto& [base, list] : clusters) {
    members += list.size();
    EXPECT_GE(list.size(), o.variant_size_min);
    EXPECT_LE(list.size(), o.variant_size_max);
    EXPECT_EQ(docs[list[0]].id, base) << "the base comes first";
    EXPECT_EQ(docs[list[0]].edit, "variant_base size=" + std::to_string(list.size()));
    EXPECT_EQ(list.front() / 2000, list.back() / 2000) << "a cluster left its window";
    ++per_window[list.front() / 2000];
    for (size_t i : list) {
      EXPECT_EQ(docs[i].cluster, base);
      EXPECT_TRUE(chain[i].empty()) << "a variant on a chain link";
      EXPECT_FALSE(docs[i].title.empty());
    }
    for (size_t k = 1; k < list.size(); ++k) {
      EXPECT_EQ(docs[list[k]].edit.rfind("variant ", 0), 0u) << docs[list[k]].edit;
    }
  }
  EXPECT_EQ(stats.variant_documents, members);
  EXPECT_EQ(per_window[0], 4);
  EXPECT_EQ(per_window[1], 4);
  EXPECT_EQ(per_window[2], 4);
  // Planted clusters and chains are as many as without variants.
  SynthOptions plain = o;
  plain.variants = 0;
  SynthStats plain_stats;
  Generate(plain, &plain_stats);
  EXPECT_EQ(stats.clusters, plain_stats.clusters);
  EXPECT_EQ(stats.clustered_documents, plain_stats.clustered_documents);
  EXPECT_EQ(stats.chains, plain_stats.chains);
  // One fixed size.
  o.variant_size_min = o.variant_size_max = 7;
  const auto fixed = VariantClusters(Parse(Generate(o)));
  ASSERT_EQ(fixed.size(), 12u);
  for (const auto& [base, list] : fixed) EXPECT_EQ(list.size(), 7u);
}

TEST(SynthTest, VariantsAreDeterministic) {
  SynthOptions o = WithVariants();
  o.threads = 1;
  const std::string one = Generate(o);
  o.threads = 2;
  o.batch_documents = 5;
  EXPECT_EQ(Generate(o), one) << "variants depend on threads or batches";
  o.seed = 9;
  EXPECT_NE(Generate(o), one);
  // Without variants, the variant settings change nothing.
  SynthOptions plain = Small();
  const std::string before = Generate(plain);
  plain.variant_size_min = 3;
  plain.variant_size_max = 4;
  EXPECT_EQ(Generate(plain), before);
}

struct VariantSimilarities {
  std::vector<double> to_base;        // each variant against its base
  std::vector<double> to_other_base;  // each variant against another cluster's base
  std::vector<double> between;        // pairs of variants of one base
  uint64_t star_pairs = 0;            // of those, below 0.6 while both are >= 0.6 to the base
};

VariantSimilarities MeasureVariants(const std::vector<Doc>& docs) {
  const Normalizer normalizer;
  VariantSimilarities sim;
  const auto clusters = VariantClusters(docs);
  std::vector<std::vector<uint64_t>> bases;
  for (const auto& [base, list] : clusters) bases.push_back(Char3(normalizer, docs[list[0]].text));
  size_t c = 0;
  for (const auto& [base, list] : clusters) {
    std::vector<std::vector<uint64_t>> sets;
    std::vector<double> to_base;
    for (size_t k = 1; k < list.size(); ++k) {
      sets.push_back(Char3(normalizer, docs[list[k]].text));
      to_base.push_back(ExactJaccard(sets.back(), bases[c]));
      sim.to_base.push_back(to_base.back());
      sim.to_other_base.push_back(ExactJaccard(sets.back(), bases[(c + 1) % bases.size()]));
    }
    for (size_t a = 0; a < sets.size(); ++a) {
      for (size_t b = a + 1; b < sets.size(); ++b) {
        const double j = ExactJaccard(sets[a], sets[b]);
        sim.between.push_back(j);
        sim.star_pairs += j < 0.6 && to_base[a] >= 0.6 && to_base[b] >= 0.6;
      }
    }
    ++c;
  }
  return sim;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

TEST(SynthTest, VariantsAreCloseToTheirBaseAndFartherFromEachOther) {
  const VariantSimilarities sim = MeasureVariants(Parse(Generate(WithVariants())));
  ASSERT_GT(sim.to_base.size(), 500u);
  std::cout << "char:3 Jaccard, variant to base: mean " << Mean(sim.to_base) << ", median "
            << Median(sim.to_base) << ", >= 0.6: " << ShareAtLeast(sim.to_base, 0.6)
            << "; variant to variant: mean " << Mean(sim.between) << ", median "
            << Median(sim.between) << ", >= 0.6: " << ShareAtLeast(sim.between, 0.6)
            << "; to another base: mean " << Mean(sim.to_other_base) << "; star pairs "
            << sim.star_pairs << " of " << sim.between.size() << "\n";
  // Closer to their own base than to another's, on average and one by one.
  EXPECT_GT(Mean(sim.to_base), Mean(sim.to_other_base) + 0.4);
  for (size_t i = 0; i < sim.to_base.size(); ++i) {
    EXPECT_GT(sim.to_base[i], sim.to_other_base[i]);
  }
  // Most variants are near-duplicates of their base ...
  EXPECT_GE(ShareAtLeast(sim.to_base, 0.6), 0.75);
  // ... two variants are mostly farther apart than a variant and its base ...
  EXPECT_LT(Mean(sim.between), Mean(sim.to_base) - 0.05);
  // ... and some pairs are not near-duplicates although both are near the base: star-shaped.
  EXPECT_GE(static_cast<double>(sim.star_pairs), 0.05 * static_cast<double>(sim.between.size()));
}

TEST(SynthTest, VariantsOfABaseFileUseItsText) {
  SynthOptions o = Small();
  o.base_files = {NEARDUP_SOURCE_DIR "/data/samples/ko-entertainment-titles.csv"};
  o.base_fields.text = "title";
  o.documents = 1000;
  o.cluster_window = 1000;
  o.variants = 2;
  o.variant_size_min = 20;
  o.variant_size_max = 30;
  const std::vector<Doc> docs = Parse(Generate(o));
  const auto clusters = VariantClusters(docs);
  ASSERT_EQ(clusters.size(), 2u);
  for (const auto& [base, list] : clusters) {
    // The base's title segment is its title and stands in its text.
    const Doc& b = docs[list[0]];
    EXPECT_NE(b.text.find(b.title), std::string::npos) << b.text;
    EXPECT_TRUE(std::any_of(b.title.begin(), b.title.end(),
                            [](char c) { return static_cast<unsigned char>(c) >= 0xEA; }))
        << "Korean base titles: " << b.title;
  }
}

TEST(SynthTest, ValidateChecksVariantSizes) {
  SynthOptions o;
  o.variant_size_min = 1;
  EXPECT_NE(o.Validate().message().find("--variant-size"), std::string::npos);
  o.variant_size_min = 10;
  o.variant_size_max = 9;
  EXPECT_FALSE(o.Validate().ok());
  o.variant_size_max = 10;
  o.cluster_window = 8;
  EXPECT_TRUE(o.Validate().ok()) << "sizes beyond the window matter only with variants";
  o.variants = 1;
  EXPECT_NE(o.Validate().message().find("--cluster-window"), std::string::npos);
  o = SynthOptions{};
  o.documents = 1000;
  o.variants = 21;  // 21 x 50 > 1000
  EXPECT_NE(o.Validate().message().find("--variants"), std::string::npos);
  o.variants = 20;
  EXPECT_TRUE(o.Validate().ok());
}

}  // namespace
}  // namespace neardup
