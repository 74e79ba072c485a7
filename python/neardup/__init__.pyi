# Type hints of the package neardup (__init__.py). The keyword options are the command's flags
# (`neardup cluster --help`) with underscores (RunOptions); each defaults to the command's
# default, and None means that default too. Keep RunOptions in step with src/cli/run_flags.cc:
# the test test_stub_lists_every_option checks it.
import os
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union

from typing_extensions import Unpack

import numpy
import numpy.typing

Record = Union[Mapping[str, Any], Tuple[Optional[Union[str, int]], Optional[str], Optional[str]]]
PathLike = Union[str, os.PathLike]

class BadRecord(UserWarning, ValueError): ...

class ClusterResult(List[Dict[str, Any]]):
    stats: Dict[str, Any]
    edges: Optional[List[Dict[str, Any]]]

class DedupResult(List[Any]):
    dropped: List[Dict[str, Any]]
    clusters: Optional[List[Dict[str, Any]]]
    stats: Dict[str, Any]

class RunOptions(TypedDict, total=False):
    """The keyword options of cluster() and dedup(): `neardup cluster --help`, underscores for
    dashes. Each defaults to the command's default."""

    id_field: Optional[str]
    text_field: Optional[str]
    title_field: Optional[str]
    normalize: Optional[str]
    alias_file: Optional[Union[PathLike, Sequence[PathLike]]]
    tag_file: Optional[Union[PathLike, Sequence[PathLike]]]
    algo: Optional[Literal["minhash", "simhash", "exact"]]
    max_hamming: Optional[int]
    simhash_weight: Optional[Literal["tf", "binary"]]
    memory_limit: Optional[Union[str, int]]
    temp_dir: Optional[PathLike]
    match: Optional[Literal["auto", "title", "body", "both", "either"]]
    shingle: Optional[str]
    title_shingle: Optional[str]
    num_perm: Optional[int]
    minhash_scheme: Optional[Literal["auto", "oph", "permutations"]]
    threshold: Optional[float]
    title_threshold: Optional[float]
    bands: Optional[int]
    rows: Optional[int]
    title_bands: Optional[int]
    title_rows: Optional[int]
    verify: Optional[Literal["auto", "exact", "signature", "none"]]
    similarity: Optional[Literal["jaccard", "containment"]]
    min_body_shingles: Optional[int]
    max_shingle_df: Optional[float]
    df_sample: Optional[int]
    max_record_bytes: Optional[int]
    max_bucket: Optional[int]
    keep: Optional[str]
    cluster: Optional[Literal["anchored", "medoid", "center", "components"]]
    core_degree: Optional[int]
    stories: bool
    story_threshold: Optional[float]
    story_window: Optional[str]
    date_field: Optional[str]
    story_title_weight: Optional[float]
    threads: Optional[int]
    max_bad: Optional[int]
    strict: bool

def options(command: Literal["cluster", "dedup"] = ...) -> Dict[str, str]: ...
def cluster(
    records: Iterable[Record], *, edges: bool = ..., **options: Unpack[RunOptions]
) -> ClusterResult: ...
def dedup(records: Iterable[Record], **options: Unpack[RunOptions]) -> DedupResult: ...
class FileOptions(RunOptions, total=False):
    format: Optional[Literal["auto", "jsonl", "json", "ndjson", "csv", "tsv", "text", "txt"]]

def cluster_files(
    paths: Union[PathLike, Iterable[PathLike]], *, edges: bool = ...,
    **options: Unpack[FileOptions]
) -> ClusterResult: ...
def signatures(
    texts: Iterable[str],
    *,
    field: Literal["body", "title"] = ...,
    normalize: Optional[str] = ...,
    shingle: Optional[str] = ...,
    title_shingle: Optional[str] = ...,
    num_perm: Optional[int] = ...,
    minhash_scheme: Optional[Literal["auto", "oph", "permutations"]] = ...,
    alias_file: Optional[Union[PathLike, Sequence[PathLike]]] = ...,
    tag_file: Optional[Union[PathLike, Sequence[PathLike]]] = ...,
    threads: Optional[int] = ...,
) -> numpy.typing.NDArray[numpy.uint32]: ...
def similarity(
    a: Union[str, Record],
    b: Union[str, Record],
    *,
    normalize: Optional[str] = ...,
    shingle: Optional[str] = ...,
    title_shingle: Optional[str] = ...,
    similarity: Optional[Literal["jaccard", "containment"]] = ...,
    title_field: Optional[str] = ...,
    text_field: Optional[str] = ...,
    alias_file: Optional[Union[PathLike, Sequence[PathLike]]] = ...,
    tag_file: Optional[Union[PathLike, Sequence[PathLike]]] = ...,
) -> Dict[str, Optional[float]]: ...
