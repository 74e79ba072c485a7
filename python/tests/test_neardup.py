"""The Python module against the command line: same rows, same errors, same bad-record rules."""

import json
import os
import signal
import time
import warnings

import numpy
import pytest

import neardup
from conftest import ROOT, command_error, read_jsonl, run, write_jsonl

SEED_BOARD = os.path.join(ROOT, "data", "samples", "seed-board.jsonl")
TITLES_CSV = os.path.join(ROOT, "data", "samples", "ko-entertainment-titles.csv")


def command_rows(tmp_path, inputs, *flags):
    out = str(tmp_path / "clusters.jsonl")
    run("cluster", *inputs, "-o", out, "-q", *flags)
    return read_jsonl(out)


# ---- Results equal the command's ---------------------------------------------------------------

def test_cluster_of_records_equals_the_command_on_the_seed_board(tmp_path):
    records = read_jsonl(SEED_BOARD)
    rows = neardup.cluster(records)
    assert rows == command_rows(tmp_path, [SEED_BOARD])
    assert any(r["cluster_size"] > 1 for r in rows)  # the sample has near-duplicates


def test_cluster_files_equals_the_command_on_the_samples(tmp_path):
    for path, flags in [(SEED_BOARD, {}), (TITLES_CSV, {"title_field": "title"})]:
        rows = neardup.cluster_files([path], **flags)
        args = ["--title-field", "title"] if flags else []
        assert rows == command_rows(tmp_path, [path], *args), path
        assert rows.stats["records"]["read"] == len(rows)


def test_cluster_equals_the_command_on_a_synth_corpus(tmp_path, synth):
    records = read_jsonl(synth)
    for options, flags in [
        ({"threshold": 0.7}, ["-t", "0.7"]),
        ({"threshold": 0.8, "keep": "longest", "cluster": "components"},
         ["-t", "0.8", "--keep", "longest", "--cluster", "components"]),
        ({"stories": True}, ["--stories"]),
        ({"algo": "exact", "shingle": "word:3", "match": "body"},
         ["--algo", "exact", "--shingle", "word:3", "--match", "body"]),
    ]:
        rows = neardup.cluster(records, **options)
        expected = command_rows(tmp_path, [synth], *flags)
        assert rows == expected, options
        assert len(rows) == 4000
    # The planted clusters are found (not a degenerate all-singletons result).
    assert sum(1 for r in neardup.cluster(records) if not r["representative"]) > 500


def test_rows_have_the_cluster_file_keys_in_order_and_types():
    rows = neardup.cluster(read_jsonl(SEED_BOARD), stories=True)
    assert list(rows[0]) == ["id", "cluster", "representative", "similarity", "cluster_size",
                             "cluster_min_similarity", "story"]
    for r in rows:
        assert isinstance(r["similarity"], float) and isinstance(r["cluster_size"], int)
        assert isinstance(r["representative"], bool)


def test_threads_give_identical_results(synth):
    records = read_jsonl(synth)
    one = neardup.cluster(records, threads=1, threshold=0.75)
    two = neardup.cluster(records, threads=2, threshold=0.75)
    assert one == two
    assert one.stats["parameters"]["threads"] == 1 and two.stats["parameters"]["threads"] == 2


def test_tuples_generators_and_dicts_give_the_same_rows(synth):
    records = read_jsonl(synth)[:1500]
    as_dicts = neardup.cluster(records)
    as_tuples = neardup.cluster((r["id"], r["title"], r["text"]) for r in records)
    assert as_dicts == as_tuples


def test_stats_are_the_commands_stats(tmp_path, synth):
    stats_path = str(tmp_path / "stats.json")
    run("cluster", synth, "-o", str(tmp_path / "c.jsonl"), "--stats", stats_path, "-q")
    with open(stats_path, encoding="utf-8") as f:
        expected = json.load(f)
    stats = neardup.cluster_files([synth]).stats
    assert stats.keys() == expected.keys()
    assert stats["clusters"] == expected["clusters"]
    assert stats["records"] == expected["records"]


def test_dedup_keeps_what_the_command_keeps(tmp_path, synth):
    records = read_jsonl(synth)
    kept_path, map_path = str(tmp_path / "kept.jsonl"), str(tmp_path / "map.jsonl")
    run("dedup", synth, "-o", kept_path, "--dropped-map", map_path, "--keep", "longest", "-q")
    result = neardup.dedup(records, keep="longest")
    assert [r["id"] for r in result] == [r["id"] for r in read_jsonl(kept_path)]
    assert result[0] is records[0]  # the records themselves, not copies
    assert result.dropped == read_jsonl(map_path)
    assert len(result) + len(result.dropped) == len(records)
    assert result.clusters is None
    with_stories = neardup.dedup(records, stories=True)
    assert with_stories.clusters == neardup.cluster(records, stories=True)


def test_ids_of_records_without_one_are_their_positions():
    rows = neardup.cluster([{"text": "alpha beta gamma delta " * 20},
                            {"text": "alpha beta gamma delta " * 20},
                            {"id": 7, "text": "something else entirely, a longer text " * 5}])
    assert [r["id"] for r in rows] == ["records:1", "records:2", "7"]
    assert rows[1]["cluster"] == "records:1"


def test_json_escaping_and_unicode_survive_the_spool():
    texts = ['quote " backslash \\ newline \n tab \t nul \x00 bell \x07',
             "한국어 본문 😀 𝄞 é", "lone surrogate \ud800 here"]
    records = [{"id": t, "text": t * 4} for t in texts]
    rows = neardup.cluster(records)
    assert [r["id"] for r in rows[:2]] == texts[:2]
    assert rows[2]["id"] == "lone surrogate \ufffd here"  # repaired as a file's bytes would be
    assert rows.stats["records"]["utf8_repairs"] >= 1


# ---- Options and errors ------------------------------------------------------------------------

def test_bad_option_values_raise_the_commands_message():
    for options, flags in [({"threshold": 2}, ["--threshold", "2"]),
                           ({"algo": "minhahs"}, ["--algo", "minhahs"]),
                           ({"keep": "longst"}, ["--keep", "longst"]),
                           ({"shingle": "char:0"}, ["--shingle", "char:0"]),
                           ({"threads": "two"}, ["--threads", "two"]),
                           ({"story_window": "3d"}, ["--story-window", "3d"])]:
        expected = command_error("cluster", SEED_BOARD, *flags)
        with pytest.raises(ValueError) as raised:
            neardup.cluster(read_jsonl(SEED_BOARD), **options)
        assert str(raised.value) == expected, options


def test_bad_options_are_refused_before_any_record_is_taken():
    taken = []

    def records():
        for r in read_jsonl(SEED_BOARD):
            taken.append(r)
            yield r

    with pytest.raises(ValueError):
        neardup.cluster(records(), threshold=0)
    assert taken == []


def test_unknown_and_unsupported_keywords_raise_type_error():
    with pytest.raises(TypeError, match="did you mean 'threshold'"):
        neardup.cluster([], thresold=0.5)
    with pytest.raises(TypeError, match="edges=True keeps the judged pairs"):
        neardup.dedup([], edges=True)
    with pytest.raises(TypeError, match="stats are the result's .stats"):
        neardup.cluster([], stats="x.json")
    with pytest.raises(TypeError, match="format= is for cluster_files"):
        neardup.cluster([], format="csv")
    with pytest.raises(TypeError, match="takes True or False"):
        neardup.cluster([], stories="yes")
    with pytest.raises(TypeError, match="record 2 is int"):
        neardup.cluster([{"text": "a"}, 5])
    assert "threshold" in neardup.options() and "stats" not in neardup.options()


def test_field_names_that_no_record_has_raise_as_the_command_does(tmp_path):
    expected = command_error("cluster", SEED_BOARD, "--text-field", "body", "-o",
                             str(tmp_path / "x"))
    with pytest.raises(ValueError) as raised:
        neardup.cluster(read_jsonl(SEED_BOARD), text_field="body")
    assert str(raised.value) == expected


def test_files_that_cannot_be_read_raise_os_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot read input"):
        neardup.cluster_files([str(tmp_path / "missing.jsonl")])


# ---- Bad records -------------------------------------------------------------------------------

BAD = [{"id": "a", "text": "the first good record, long enough to shingle"},
       {"id": "b", "text": ["a", "list"]},
       {"id": "c", "text": "the third record, also good and long enough"},
       {"id": "d", "title": {"a": 1}, "text": "fourth"}]


def test_bad_records_are_skipped_with_the_commands_warnings(tmp_path):
    path = str(tmp_path / "records")
    write_jsonl(path + ".jsonl", BAD)
    done = run("cluster", path + ".jsonl", "-o", str(tmp_path / "c.jsonl"))
    expected = [line.replace(path + ".jsonl:", "records:")[len("neardup: warning: "):]
                for line in done.stderr.splitlines() if "skipped record" in line]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = neardup.cluster(BAD)
    messages = [str(w.message) for w in caught if issubclass(w.category, neardup.BadRecord)]
    assert messages == expected and len(messages) == 2
    assert [r["id"] for r in rows] == ["a", "c"]
    assert rows.stats["records"]["bad"] == 2


def test_strict_and_max_bad_raise_bad_record(tmp_path):
    path = str(tmp_path / "bad.jsonl")
    write_jsonl(path, BAD)
    expected = command_error("cluster", path, "--strict", "-q").replace(path, "records")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(neardup.BadRecord) as raised:
            neardup.cluster(BAD, strict=True)
        assert str(raised.value) == expected
        assert isinstance(raised.value, ValueError)
        with pytest.raises(neardup.BadRecord, match="more than 1 bad records"):
            neardup.cluster(BAD, max_bad=1)
        assert len(neardup.cluster(BAD, max_bad=2)) == 2


def test_bad_record_warnings_can_be_made_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", neardup.BadRecord)
        with pytest.raises(neardup.BadRecord, match="records:2"):
            neardup.cluster(BAD)


# ---- Sketches ----------------------------------------------------------------------------------

def test_signatures_estimate_the_exact_similarity(synth):
    records = read_jsonl(synth)[:400]
    texts = [r["text"] for r in records]
    sigs = neardup.signatures(texts)
    assert sigs.dtype == numpy.uint32 and sigs.shape == (400, 128)
    assert numpy.array_equal(sigs, neardup.signatures(iter(texts), threads=1))
    assert neardup.signatures(texts, num_perm=64).shape == (400, 64)
    # Near-duplicate pairs (same planted cluster): the estimate is within 0.15 of the exact.
    checked = 0
    for i, r in enumerate(records):
        for j in range(i):
            if records[j]["cluster"] == r["cluster"]:
                exact = neardup.similarity(records[i], records[j])["body"]
                estimate = float(numpy.mean(sigs[i] == sigs[j]))
                assert abs(exact - estimate) < 0.15, (i, j, exact, estimate)
                checked += 1
    assert checked > 20


def test_similarity_per_field():
    a = {"title": "서울 한파 경보", "text": "오늘 서울에 한파 경보가 내려졌다. 내일도 춥겠다."}
    b = {"title": "서울 한파 경보 발령", "text": "오늘 서울에 한파 경보가 내려졌다. 내일도 춥겠다."}
    s = neardup.similarity(a, b)
    assert s["body"] == 1.0 and 0 < s["title"] < 1
    assert neardup.similarity("only a text here", "only a text here") == {"title": None,
                                                                          "body": 1.0}
    c = neardup.similarity("short text", "short text and a much longer tail after it",
                           similarity="containment")
    assert c["body"] == 1.0


def test_docstrings_are_what_help_shows():
    assert "threshold=0.8" in neardup.cluster.__doc__
    assert "BadRecord" in neardup.cluster.__doc__
    assert neardup.dedup.__doc__ and neardup.signatures.__doc__ and neardup.similarity.__doc__


# ---- Ctrl-C ------------------------------------------------------------------------------------

def test_ctrl_c_stops_a_run_and_removes_its_files(tmp_path, synth):
    # 12,000 documents on one thread: a run long enough that an interrupt shortly after the
    # records are written lands in the middle of it.
    records = [dict(r, id=f"{k}-{r['id']}") for k in range(3) for r in read_jsonl(synth)]
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    started = time.monotonic()
    neardup.cluster(records, threads=1)
    whole = time.monotonic() - started

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    def records_then_alarm():
        yield from records
        signal.setitimer(signal.ITIMER_REAL, 0.02)  # fires while the pipeline runs

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            neardup.cluster(records_then_alarm(), threads=1, temp_dir=str(spool_dir))
        interrupted = time.monotonic() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert list(spool_dir.iterdir()) == []
    print(f"interrupted after {interrupted:.2f} s, a whole run {whole:.2f} s")
    assert interrupted < whole / 2, (interrupted, whole)  # it stopped, not ran to the end


def test_stub_lists_every_option():
    stub = open(os.path.join(os.path.dirname(neardup.__file__), "__init__.pyi"),
                encoding="utf-8").read()
    run_options = stub[stub.index("class RunOptions("):stub.index("def options(")]
    for name in neardup.options("cluster"):
        if name != "format":
            assert f"    {name}:" in run_options, name
    assert "**options: Unpack[RunOptions]\n) -> ClusterResult" in stub


def test_mappings_other_than_dicts_are_records():
    import types
    records = read_jsonl(SEED_BOARD)
    assert neardup.cluster(types.MappingProxyType(r) for r in records) == neardup.cluster(records)
    with pytest.raises(TypeError, match="record 1 is bytes"):
        neardup.cluster([b'{"text": "x"}'])


def test_the_gil_is_released_while_the_library_works(synth):
    import threading
    records = [dict(r, id=f"{k}-{r['id']}") for k in range(3) for r in read_jsonl(synth)]
    done = threading.Event()
    failed = []

    def run():
        try:
            neardup.cluster(records, threads=1)
        except BaseException as e:  # noqa: B902 - reported below, in the test's thread
            failed.append(e)
        finally:
            done.set()

    worker = threading.Thread(target=run)
    ticks = [time.monotonic()]
    worker.start()
    while not done.is_set():
        time.sleep(0.001)  # this thread runs only while the other lets go of the GIL
        ticks.append(time.monotonic())
    worker.join()
    assert not failed, failed
    run = ticks[-1] - ticks[0]
    longest_wait = max(b - a for a, b in zip(ticks, ticks[1:]))
    print(f"run {run:.2f} s, the longest wait for the GIL {longest_wait:.3f} s")
    assert longest_wait < run / 4, (longest_wait, run)


def test_edges_are_the_commands_edges_file(tmp_path, synth):
    edges_path = str(tmp_path / "edges.jsonl")
    expected_rows = command_rows(tmp_path, [synth], "--edges", edges_path, "-t", "0.8")
    rows = neardup.cluster(read_jsonl(synth), edges=True, threshold=0.8)
    assert rows == expected_rows
    expected = read_jsonl(edges_path)
    assert rows.edges == expected and len(expected) > 500
    assert {e["rule"] for e in rows.edges} >= {"body", "exact-duplicate"}
    assert neardup.cluster_files(synth, edges=True, threshold=0.8).edges == expected
    assert neardup.cluster(read_jsonl(synth)[:10]).edges is None


def test_dedup_hands_back_the_good_records_around_bad_ones():
    records = BAD + [dict(BAD[0], id="a-copy"), dict(BAD[2], id="c-copy")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = neardup.dedup(records)
    assert kept == [records[0], records[2]]
    assert [(d["id"], d["representative"]) for d in kept.dropped] == [("a-copy", "a"),
                                                                       ("c-copy", "c")]


def test_a_generator_may_reuse_the_dict_it_yields(synth):
    records = read_jsonl(synth)[:3000]

    def reused():
        d = {}
        for r in records:
            d.clear()  # frees the last record's text: the dict held its only reference
            d.update(id=r["id"], title=r["title"], text=r["text"] + "!")
            yield d

    expected = neardup.cluster([dict(r, text=r["text"] + "!") for r in records])
    assert neardup.cluster(reused()) == expected
