"""neardup for Python: exact and near-duplicate documents, found and clustered.

The same library as the `neardup` command, with the same options and results:

    import neardup
    rows = neardup.cluster([{"id": "a", "text": "..."}, {"id": "b", "text": "..."}],
                           threshold=0.8)
    rows[0]        # {'id': 'a', 'cluster': 'a', 'representative': True, 'similarity': 1.0,
                   #  'cluster_size': 2, 'cluster_min_similarity': 0.85}
    rows.stats     # what `neardup cluster --stats FILE` writes, as a dict

Options are the command's flags with underscores for dashes (`--title-threshold 0.6` is
`title_threshold=0.6`, `--stories` is `stories=True`); `neardup.options()` lists them with their
help and defaults. Bad option values raise ValueError with the command's message (which names
the flag: "--threshold must be in (0, 1]"), unreadable files OSError, bad records warn with
neardup.BadRecord (raised instead with strict=True or past max_bad).
"""

from __future__ import annotations

import difflib
import errno
import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import _neardup
from ._neardup import BadRecord

__all__ = [
    "BadRecord",
    "ClusterResult",
    "DedupResult",
    "cluster",
    "cluster_files",
    "dedup",
    "options",
    "signatures",
    "similarity",
]

# Flags of the command that write files or print, which a function returns or warns instead.
_NOT_HERE = {
    "stats": "the stats are the result's .stats",
    "edges": "edges=True keeps the judged pairs in the result's .edges (cluster and "
    "cluster_files)",
    "rejects": "bad records are warned about with neardup.BadRecord (their messages give N, "
    "the record's position from 1); `neardup cluster --rejects` writes them out",
    "report": "reports are written by the command: `neardup cluster --report`",
    "report_format": "reports are written by the command: `neardup cluster --report`",
    "report_max_clusters": "reports are written by the command: `neardup cluster --report`",
    "report_fields": "reports are written by the command: `neardup cluster --report`",
    "quiet": "warnings are Python warnings: silence them with the warnings module",
    "progress": "there is no progress display in the module",
}
# Only for files: records are written as JSON Lines, whatever their source was.
_FILES_ONLY = {"format": "records are read as given; format= is for cluster_files()"}

_flag_cache: Dict[str, Dict[str, Tuple[str, bool, bool, str, str]]] = {}


def _flags(command: str) -> Dict[str, Tuple[str, bool, bool, str, str]]:
    if command not in _flag_cache:
        _flag_cache[command] = {
            name.replace("-", "_"): (name, is_flag, many, help_text, default)
            for name, is_flag, many, help_text, default in _neardup._flags(command)
        }
    return _flag_cache[command]


def options(command: str = "cluster") -> Dict[str, str]:
    """The keyword options of cluster() (command="cluster") or dedup() ("dedup").

    Returns {name: help}, the help as `neardup COMMAND --help` gives it, with the default.
    Options the module does not take (files it would write, the progress display) are left out.
    """
    out = {}
    for key, (name, is_flag, _many, help_text, default) in _flags(command).items():
        if key in _NOT_HERE:
            continue
        kind = "True/False" if is_flag else "value"
        out[key] = f"{help_text} [{kind}" + (f", default {default}]" if default else "]")
    return out


def _text(value: Any) -> str:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def _args(func: str, command: str, given: Dict[str, Any], files: bool = False) -> List[str]:
    """The command's arguments for keyword options (TypeError for an unknown name)."""
    flags = _flags(command)
    args: List[str] = []
    for key, value in given.items():
        spec = flags.get(key)
        why = _NOT_HERE.get(key) or (None if files else _FILES_ONLY.get(key))
        if spec is None or why is not None:
            if why is not None:
                raise TypeError(f"{func}() does not take {key}=: {why}")
            names = [k for k in flags if k not in _NOT_HERE]
            close = difflib.get_close_matches(key, names, 1)
            raise TypeError(
                f"{func}() got an unexpected keyword argument '{key}'"
                + (f"; did you mean '{close[0]}'?" if close else "; neardup.options() lists them")
            )
        name, is_flag, many, _help, _default = spec
        if is_flag:
            if not isinstance(value, bool):
                raise TypeError(f"{func}(): {key}= takes True or False, got {value!r}")
            if value:
                args.append("--" + name)
        elif value is None:
            continue
        elif many and isinstance(value, (list, tuple)):
            args.extend(f"--{name}={_text(v)}" for v in value)
        else:
            args.append(f"--{name}={_text(value)}")
    return args


class ClusterResult(list):
    """The cluster file's lines as dicts, one per good record, in input order.

    Each has exactly the keys and values of a line of `neardup cluster -o FILE`: id, cluster
    (the representative's id), representative (True for it), similarity (to the representative,
    6 decimals at most; always a float, where the file writes 1 for 1.0), cluster_size,
    cluster_min_similarity, and story with stories=True. `.stats` holds what --stats writes, as
    a dict. `.edges`, with edges=True: the lines of the --edges file as dicts (a, b, similarity,
    title_similarity, body_similarity, rule, measured, same_cluster), else None.
    """

    stats: Dict[str, Any]
    edges: Optional[List[Dict[str, Any]]]

    def __init__(self, rows: List[Dict[str, Any]], stats: Dict[str, Any],
                 edges: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(rows)
        self.stats = stats
        self.edges = edges


class DedupResult(list):
    """The kept records, the objects given (not copies), in input order.

    `.dropped` lists, per dropped record, {"id", "representative", "similarity"} as
    `neardup dedup --dropped-map` writes them; `.clusters` is the cluster file's rows (as
    cluster() returns them) when stories=True, else None; `.stats` the --stats dict.
    """

    dropped: List[Dict[str, Any]]
    clusters: Optional[List[Dict[str, Any]]]
    stats: Dict[str, Any]

    def __init__(self, kept, dropped, clusters, stats) -> None:
        super().__init__(kept)
        self.dropped = dropped
        self.clusters = clusters
        self.stats = stats


def _edges(func: str, edges: Any) -> bool:
    if not isinstance(edges, bool):
        raise TypeError(f"{func}(): edges= takes True or False (the pairs come back in .edges; "
                        f"`neardup cluster --edges FILE` writes them to a file), got {edges!r}")
    return edges


def cluster(records: Iterable[Any], *, edges: bool = False, **options: Any) -> ClusterResult:
    """Clusters records as `neardup cluster` does; returns one row per good record, in order.

    records: any iterable (a list, a generator) of dicts, or of (id, title, text) tuples. A
        dict's fields are named as the command's: "id", "title", "text" (id_field=,
        title_field=, text_field= rename them); a missing, None or "" field is absent. An id
        may be a str or a number (the row's id is its text); a record without one gets
        "records:N", N its position from 1. Records are streamed in batches to a temporary
        JSON Lines file (in $TMPDIR or temp_dir=) that is removed afterwards: no copy of all
        of them is held in memory.
    options: the command's flags with underscores, e.g. threshold=0.8, shingle="char:5",
        match="auto", keep="first", cluster="anchored", threads=2, stories=True,
        date_field="date", strict=True, max_bad=10, algo="exact". neardup.options() lists
        them all; unknown names raise TypeError, bad values ValueError (the command's message).

    Returns a ClusterResult: a list of dicts with exactly the keys and values of the cluster
    file's lines (id, cluster, representative, similarity, cluster_size,
    cluster_min_similarity; story with stories=True), and .stats, the --stats JSON as a dict.
    With edges=True, .edges lists every pair judged a duplicate as the --edges file does (why a
    member is in its cluster: the rule, the similarities, exact or estimated).
    The same options give the same rows as the command on the same records, at any threads=.

    Bad records (e.g. a text that is a list) are skipped with a neardup.BadRecord warning
    naming "records:N"; with strict=True (or past max_bad=) BadRecord is raised. Ctrl-C stops
    the run (KeyboardInterrupt) and removes its temporary files.
    """
    rows, pairs, stats = _neardup._run_records(
        "cluster", records, _args("cluster", "cluster", options), _edges("cluster", edges)
    )
    return ClusterResult(rows, stats, pairs)


def dedup(records: Iterable[Any], **options: Any) -> DedupResult:
    """Keeps one record per cluster, as `neardup dedup` does; returns the kept records.

    records and options as for cluster() (keep="longest", keep="latest:date" choose which
    member is kept). Returns a DedupResult: the kept records themselves, in input order, with
    .dropped ({"id", "representative", "similarity"} per dropped record, as --dropped-map),
    .clusters (the cluster rows when stories=True, else None) and .stats. It holds a
    reference to every record until the run ends (cluster() holds none).
    """
    kept, dropped, rows, stats = _neardup._run_records(
        "dedup", records, _args("dedup", "dedup", options)
    )
    return DedupResult(kept, dropped, rows, stats)


def cluster_files(paths: Iterable[Any], *, edges: bool = False, **options: Any) -> ClusterResult:
    """Clusters the records of files, as `neardup cluster PATH...` does.

    paths: file names (str or os.PathLike): JSON Lines, CSV, TSV or text, .gz and .zst read
    transparently, format= as the command's --format; ids of records without one are
    "FILE:LINE". Returns a ClusterResult as cluster() does; OSError for a file that cannot be
    read.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    files = [_text(p) for p in paths]
    if not files:
        raise ValueError("cluster_files() needs at least one path")
    args = _args("cluster_files", "cluster", options, files=True) + ["--"] + files
    for f in files:  # the command's check, as an OSError (FileNotFoundError, PermissionError)
        if f != "-" and not os.access(f, os.R_OK):
            error = errno.EACCES if os.path.exists(f) else errno.ENOENT
            raise OSError(error, f"cannot read input {f}: {os.strerror(error)}", f)
    rows, pairs, stats = _neardup._run_files(args, _edges("cluster_files", edges))
    return ClusterResult(rows, stats, pairs)


def signatures(texts: Iterable[str], *, field: str = "body", **options: Any):
    """MinHash signatures of texts, as a run signs a document's body (or title).

    Each text is normalized (normalize=), cut into shingles (shingle=, or title_shingle= with
    field="title") and signed with num_perm= entries (minhash_scheme=; bodies one permutation,
    titles num_perm permutations by default). Stop-shingles are not left out (they depend on
    a corpus). Returns a numpy.ndarray of uint32, one row per text, num_perm columns; the
    share of equal entries of two rows estimates the Jaccard similarity of the texts.
    """
    if field not in ("body", "title"):
        raise ValueError(f"field must be 'body' or 'title', got {field!r}")
    return _neardup._signatures(texts, field == "title", _args("signatures", "cluster", options))


def similarity(a: Any, b: Any, **options: Any) -> Dict[str, Optional[float]]:
    """The exact similarity of two records, per field, as verification measures it.

    a, b: a str (a text), a dict or an (id, title, text) tuple. Each field is normalized and
    shingled as in a run and compared over all its shingles with similarity= ("jaccard", the
    default, or "containment"). Returns {"title": x, "body": x}, None for a field that either
    record lacks.
    """
    return _neardup._similarity(a, b, _args("similarity", "cluster", options))
