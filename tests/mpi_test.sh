#!/usr/bin/env bash
# tests/mpi_test.sh NEARDUP MPIRUN: the distributed run (neardup/mpi.h) against the single-process
# run, byte for byte: cluster file, dedup kept/dropped/dropped-map, --rejects and the report (its
# "Generated" time masked), and --stats without its timing, memory, thread and "ranks" fields.
# Under `mpirun -np 1, 2, 3` on the samples, a 200k-document synth corpus (minhash), simhash and
# exact on smaller ones, and uneven inputs (one large file, many small files, an empty one, a
# compressed one, CSV, text, more ranks than files, BOM and CRLF, bad records, repeated ids).
# Then failures: a bad record under --strict on the last rank, a truncated .gz, errors on two
# ranks (the first in input order is reported, as one process reports it), the exact join over
# its memory limit on rank 0, standard input, --stories (one process only, for now).
# Registered in CMake (MpiTest.SameOutputsAsOneProcess) when MPI is found. About 2 min on 2 cores.
set -euo pipefail
neardup="$(realpath "$1")"
mpirun="$2"
# CI runs as root; Open MPI refuses that unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Every rank uses one TBB thread, so that -np 3 on 2 cores is not 6 busy threads.
threads=(--threads 1)
work="$(mktemp -d)"
trap '[[ -n "${MPI_TEST_KEEP:-}" ]] || rm -rf "$work"' EXIT
failures=0
started=$SECONDS

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The --stats fields that may differ between runs: timing, memory, threads, per-rank figures.
stable_stats() {
  awk '
    /^  "(seconds|throughput)": \{/ { skip = 1; next }
    /^  "ranks": \[/ { skip = 2; next }
    skip == 1 && /^  \}/ { skip = 0; next }
    skip == 2 && /^  \]/ { skip = 0; next }
    skip { next }
    /"peak_memory_bytes"|"threads"/ { next }
    { sub(/,$/, ""); print }
  ' "$1"
}

# run DIR NP COMMAND ARGS...: runs neardup in DIR (alone when NP is 0, else under mpirun -np NP).
run() {
  local dir="$1" np="$2"
  shift 2
  mkdir -p "$dir"
  if [[ "$np" == 0 ]]; then
    (cd "$dir" && "$neardup" "$@" "${threads[@]}" -q)
  else
    (cd "$dir" && "$mpirun" --allow-run-as-root --oversubscribe -np "$np" \
       "$neardup" "$@" "${threads[@]}" -q)
  fi
}

# compare NAME DIR_ONE DIR_MPI: every output of the two runs must be the same.
compare() {
  local name="$1" a="$2" b="$3" f
  for f in "$a"/*; do
    f="$(basename "$f")"
    if [[ ! -e "$b/$f" ]]; then
      fail "$name: $f missing from the MPI run"
    elif [[ "$f" == *.json ]]; then
      cmp -s <(stable_stats "$a/$f") <(stable_stats "$b/$f") || fail "$name: $f differs"
    elif [[ "$f" == *.html || "$f" == *.md ]]; then
      cmp -s <(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC//' "$a/$f") \
             <(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC//' "$b/$f") ||
        fail "$name: $f differs"
    else
      cmp -s "$a/$f" "$b/$f" || fail "$name: $f differs"
    fi
  done
  if [[ "$b" != *np1 ]] && ! grep -q '"ranks"' "$b/stats.json"; then
    fail "$name: no \"ranks\" section in the MPI run's stats"
  fi
}

# check NAME "NPS" ["DEDUP_NPS"] OPTIONS -- INPUTS...: cluster and dedup alone and under each
# -np in NPS (dedup under DEDUP_NPS when given).
check() {
  local name="$1" cluster_nps="$2" dedup_nps="$2"
  shift 2
  if [[ "$1" =~ ^[0-9\ ]+$ ]]; then
    dedup_nps="$1"
    shift
  fi
  local opts=()
  while [[ "$1" != -- ]]; do opts+=("$1"); shift; done
  shift
  local np cmd nps
  for cmd in cluster dedup; do
    local outs
    if [[ "$cmd" == cluster ]]; then
      outs=(-o clusters.jsonl)
      nps="$cluster_nps"
    else
      outs=(-o kept.out --dropped dropped.out --dropped-map map.jsonl)
      nps="$dedup_nps"
    fi
    outs+=(--stats stats.json --report report.html --rejects rejects.out --edges edges.jsonl)
    run "$work/$name/$cmd/one" 0 "$cmd" "$@" "${opts[@]}" "${outs[@]}" ||
      fail "$name $cmd: the single-process run failed"
    for np in $nps; do
      run "$work/$name/$cmd/np$np" "$np" "$cmd" "$@" "${opts[@]}" "${outs[@]}" ||
        fail "$name $cmd -np $np: failed"
      compare "$name $cmd -np $np" "$work/$name/$cmd/one" "$work/$name/$cmd/np$np"
    done
  done
  echo "ok: $name (cluster -np $cluster_nps, dedup -np $dedup_nps) at $((SECONDS - started)) s"
}

data="$work/data"
mkdir -p "$data"
root="$(pwd)"

# The samples.
check seed-board "1 2 3" -- "$root/data/samples/seed-board.jsonl"
check csv-titles "2 3" -- "$root/data/samples/ko-entertainment-titles.csv"

# A 50k-document corpus (1.2M candidate pairs), one large file shared by every rank: MinHash
# judged by the signatures, the path where band keys are shuffled between the ranks and pairs
# judged where their sketches live.
"$neardup" synth -n 50000 --doc-bytes 200 --seed 9 -o "$data/big.jsonl" -q
check big-minhash "2 3" "3" --verify signature -- "$data/big.jsonl"

# Smaller corpora for the default exact verification (rank 0 re-reads the candidate documents),
# the other engines and the uneven inputs.
"$neardup" synth -n 20000 --doc-bytes 300 --seed 3 -o "$data/mid.jsonl" -q
check minhash-defaults "2 3" "3" -- "$data/mid.jsonl"
check simhash "3" --algo simhash -- "$data/mid.jsonl"
head -n 4000 "$data/mid.jsonl" > "$data/small.jsonl"
check exact "2 3" --algo exact -- "$data/small.jsonl"
# The MinHash shuffle with title candidates, capped buckets, components and no verification.
check minhash-either "3" --match either --cluster components --max-bucket 3 -- "$data/small.jsonl"
check minhash-title "2" --match title --verify none --keep longest -- "$data/small.jsonl"

# Many small files of uneven sizes, an empty one, a gzip one (read whole by one rank), bad
# records, a repeated id, blank lines; --keep with a field so that keep values travel too.
split -n l/7 "$data/mid.jsonl" "$data/part-"
: > "$data/empty.jsonl"
head -n 50 "$data/part-aa" | gzip -c > "$data/part-gz.jsonl.gz"
{
  head -n 30 "$data/part-ab"
  echo '{"id": "broken", "text": unquoted}'
  echo
  head -n 3 "$data/part-ab"  # repeated ids, exact duplicates
  echo '{"text": "no id here: the id is FILE:LINE"}'
  # Longer than --max-record-bytes below: skipped, and copied whole into --rejects from rank 0.
  printf '{"id": "huge", "text": "%s"}\n' "$(head -c 10000 /dev/zero | tr '\0' z)"
} > "$data/mixed.jsonl"
many=("$data/part-aa" "$data/empty.jsonl" "$data/part-ab" "$data/part-gz.jsonl.gz"
      "$data/mixed.jsonl" "$data/part-ac" "$data/part-ad" "$data/empty.jsonl" "$data/part-ae"
      "$data/part-af" "$data/part-ag")
check many-files "2 3" --format jsonl --keep field-max:title --max-record-bytes 4000 -- "${many[@]}"

# More ranks than files; a text file (ids are FILE:LINE, so line numbers must match) with a BOM,
# CRLF line ends and blank lines, split between ranks.
{
  printf '\xef\xbb\xbf'
  for i in $(seq 1 400); do
    printf 'line %d of a plain text corpus, with words that repeat %d\r\n' "$((i % 37))" "$((i % 5))"
    if ((i % 50 == 0)); then printf '\r\n\n'; fi
  done
} > "$data/plain.txt"
check text-bom-crlf "3" -- "$data/plain.txt"
check two-files "3" -- "$data/plain.txt" "$data/part-ab"

# Failures end the whole job with status 1 and create no output.
expect_failure() {
  local name="$1" expected="$2"
  shift 2
  local dir="$work/fail/$name"
  mkdir -p "$dir"
  set +e
  (cd "$dir" && "$mpirun" --allow-run-as-root --oversubscribe -np 3 "$neardup" "$@" \
     "${threads[@]}" > stdout.txt 2> stderr.txt)
  local rc=$?
  set -e
  [[ $rc == "$expected" ]] || fail "$name: exit status $rc, expected $expected"
  if ls "$dir" | grep -qv -e '^stdout.txt$' -e '^stderr.txt$'; then
    fail "$name: left output files: $(ls "$dir")"
  fi
  grep -q "neardup: error" "$dir/stderr.txt" || fail "$name: no error message"
}
{ cat "$data/mid.jsonl"; echo '{"id": "bad", "text": 12'; } > "$data/strict.jsonl"
expect_failure strict-last-rank 1 cluster "$data/strict.jsonl" --strict -o clusters.jsonl \
  --stats stats.json
grep -q 'strict.jsonl:20001' "$work/fail/strict-last-rank/stderr.txt" ||
  fail "strict-last-rank: the message does not name the bad record's line"
head -c 2000 "$data/part-gz.jsonl.gz" > "$data/truncated.jsonl.gz"
expect_failure truncated-gz 1 dedup "$data/mid.jsonl" "$data/truncated.jsonl.gz" -o kept.jsonl
# expect_same_error NAME ARGS...: fails under -np 3 as expect_failure (status 1) says, with the
# very message the single-process run prints (Open MPI adds lines of its own: those are left out).
expect_same_error() {
  local name="$1"
  shift
  expect_failure "$name" 1 "$@"
  local dir="$work/fail/$name-one"
  mkdir -p "$dir"
  (cd "$dir" && "$neardup" "$@" "${threads[@]}" > stdout.txt 2> stderr.txt) &&
    fail "$name: the single-process run did not fail"
  cmp -s <(grep '^neardup:' "$dir/stderr.txt") <(grep '^neardup:' "$work/fail/$name/stderr.txt") ||
    fail "$name: the message differs from the single-process run's: $(cat "$work/fail/$name/stderr.txt")"
}
# Errors on two ranks: the truncated .gz (read whole by rank 1) comes before the bad record at
# the end of the last input (rank 2) in input order, so it is the one reported.
{ cat "$data/small.jsonl"; echo '{"id": "bad", "text": 12'; } > "$data/strict-small.jsonl"
expect_same_error first-error-in-input-order cluster "$data/small.jsonl" \
  "$data/truncated.jsonl.gz" "$data/strict-small.jsonl" --strict -o clusters.jsonl
grep -q 'truncated.jsonl.gz' "$work/fail/first-error-in-input-order/stderr.txt" ||
  fail "first-error-in-input-order: the message does not name the truncated input"
# A failure on rank 0 after the shards (the exact join over its memory limit) is every rank's:
# each exits with status 1 (recorded by a wrapper that then exits 0, so that mpirun ends no rank
# early).
expect_same_error exact-memory-limit cluster "$data/small.jsonl" --algo exact \
  --memory-limit 1M -o clusters.jsonl --stats stats.json
printf '#!/usr/bin/env bash\n"$@"\necho $? > "status.$OMPI_COMM_WORLD_RANK"\n' > "$work/record-status"
mkdir -p "$work/fail/every-rank"
(cd "$work/fail/every-rank" && "$mpirun" --allow-run-as-root --oversubscribe -np 3 \
   bash "$work/record-status" "$neardup" cluster "$data/small.jsonl" --algo exact \
   --memory-limit 1M -o clusters.jsonl "${threads[@]}" 2> /dev/null) ||
  fail "every-rank: the wrapper failed"
[[ "$(cat "$work/fail/every-rank"/status.{0,1,2} 2> /dev/null | tr '\n' ' ')" == "1 1 1 " ]] ||
  fail "every-rank: exit status per rank: $(cat "$work/fail/every-rank"/status.* | tr '\n' ' ')"
expect_failure stdin 2 cluster - -o clusters.jsonl < /dev/null
expect_failure stories 2 cluster "$data/mid.jsonl" --stories -o clusters.jsonl
grep -q -- '--stories does not run under mpirun' "$work/fail/stories/stderr.txt" ||
  fail "stories: the message does not say why"

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all MPI runs match the single-process run ($((SECONDS - started)) s)"
