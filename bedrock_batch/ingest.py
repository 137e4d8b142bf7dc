"""``bedrock-batch ingest``: put a dataset where the pipeline picks it up, under ``inputs/<prompt_id>/``.

Two kinds of source. ``hf://<dataset id>[:<config>]/<split>`` streams a Hugging Face dataset and writes it as
Parquet shards, because the input state machine reads Parquet natively and a dataset can be far larger than
memory or one Bedrock job. A local CSV/TSV/SSV/PSV, JSONL or Parquet file is checked and uploaded as it is, so
that a file the pipeline would reject is refused here, on the laptop, with the line to fix, instead of minutes
later in the dead-letter queue.

Only boto3's default clients are used: they honour ``AWS_ENDPOINT_URL`` (a moto server) and moto in process
(``offline_aws()``) alike, so nothing here needs the network unless the dataset lives on the Hub.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError
from .input_checks import InputRefused, check_columns, prompt_columns

#: The extensions the input state machine routes on, and each CSV flavour's delimiter.
CSV_DELIMITERS = {".csv": ",", ".tsv": "\t", ".ssv": ";", ".psv": "|"}
SUFFIXES = (*CSV_DELIMITERS, ".jsonl", ".parquet")
#: Rows handed from ``datasets`` to the Parquet writer at a time: what bounds the memory, with one row group.
STREAM_BATCH_ROWS = 1000
#: Where the deployed input workflow reads the prompt templates ("Load the prompt templates").
TEMPLATES_KEY = "config/prompt-templates.json"
#: Rows per Parquet shard unless --shard-rows says otherwise: one input file, one run, some Bedrock jobs.
DEFAULT_SHARD_ROWS = 100_000
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PROMPT_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


class IngestError(UserError):
    """A problem the user can fix (a bad source, a missing split, no rows): reported on one line, exit code 2."""


def load_templates(s3: Any, bucket: str) -> dict[str, Any]:
    """The prompt templates the stack's input workflow reads; without them it refuses every run, and so do we."""
    from botocore.exceptions import ClientError

    try:
        body = s3.get_object(Bucket=bucket, Key=TEMPLATES_KEY)["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise IngestError(f"s3://{bucket}/{TEMPLATES_KEY} does not exist: run bedrock-batch publish-prompts "
                              "first (the pipeline refuses every file without it)") from None
        raise
    return dict(json.loads(body))


@dataclass(frozen=True)
class HfSource:
    """``hf://<dataset>[:<config>]/<split>``: the split is the last path component, as dataset ids hold a ``/``."""

    dataset: str
    config: str | None
    split: str

    @classmethod
    def parse(cls, uri: str) -> HfSource:
        rest = re.sub(r"^hf://", "", uri, flags=re.IGNORECASE)
        dataset, slash, split = rest.rpartition("/")
        if not slash or not dataset or not split:
            raise IngestError(f"{uri}: missing split; use hf://<dataset id>[:<config>]/<split>, "
                              "e.g. hf://w601sxs/simpleCoT/train")
        head, colon, config = dataset.rpartition(":")
        if colon and "/" not in config:  # a ':' in the last component names the config
            if not config or not head:
                raise IngestError(f"{uri}: empty dataset id or config")
            return cls(head, config, split)
        return cls(dataset, None, split)

    @property
    def slug(self) -> str:
        """The shard name stem: a local dataset by its folder's name, a Hub dataset by ``owner-name``."""
        local = Path(self.dataset)
        stem = local.resolve().name if local.exists() else self.dataset
        parts = [stem, *([self.config] if self.config else []), self.split]
        return "-".join(re.sub(r"[^a-z0-9._]+", "-", p.lower()).strip("-.") or "dataset" for p in parts)


@dataclass(frozen=True)
class Uploaded:
    key: str
    rows: int | None  # None for a local file: uploaded as is, so only checked, not counted


# -- Hugging Face --------------------------------------------------------------------------------------------------
def _stream(source: HfSource, limit: int | None) -> Iterator[Any]:
    """The split as pyarrow tables of at most ``STREAM_BATCH_ROWS`` rows; load errors become ``IngestError``."""
    try:
        import datasets
    except ImportError:
        raise IngestError("hf:// needs the Hugging Face datasets library: pip install -e '.[hf]'") from None
    name = source.dataset + (f" (config {source.config})" if source.config else "")
    try:
        dataset = datasets.load_dataset(source.dataset, source.config, split=source.split, streaming=True)
    except (FileNotFoundError, ConnectionError) as err:  # DatasetNotFoundError is a FileNotFoundError
        raise IngestError(f"dataset not found: {name}: {err} (the last part of hf://... is the split)") from None
    except ValueError as err:  # "Bad split: x. Available splits: [...]", "BuilderConfig 'x' not found"
        what = "split not found" if "split" in str(err).lower() else "cannot load"
        raise IngestError(f"{what}: {name}, split {source.split!r}: {err}") from None
    except StopIteration:  # the JSON builder infers features from the first rows, and an empty file has none
        raise IngestError(f"{name}, split {source.split!r}: no rows") from None
    if limit is not None:
        dataset = dataset.take(limit)
    yield from dataset.with_format("arrow").iter(batch_size=STREAM_BATCH_ROWS)


def _checked_columns(batches: Iterator[Any], where: str, required: list[str]) -> Iterator[Any]:
    """The batches, the first one's columns checked against the prompt before anything is written."""
    for number, batch in enumerate(batches):
        if number == 0:
            check_columns(where, batch.schema.names, required)
        yield batch


def write_shards(batches: Iterator[Any], out_dir: Path, stem: str, shard_rows: int) -> Iterator[tuple[Path, int]]:
    """Write ``<stem>-<nnnnn>.parquet`` files of at most ``shard_rows`` rows, yielding each once it is closed.

    A generator, so the caller can upload and delete each shard before the next is written: the disk and
    memory used stay at one shard and one batch, whatever the size of the dataset.
    """
    import pyarrow.parquet as pq

    if shard_rows < 1:
        raise ValueError(f"shard_rows must be 1 or more, not {shard_rows}")
    writer: pq.ParquetWriter | None = None
    path, rows, index = out_dir / "unused", 0, 0
    for batch in batches:
        while batch.num_rows:
            if writer is None:
                path = out_dir / f"{stem}-{index:05d}.parquet"
                writer, rows, index = pq.ParquetWriter(path, batch.schema), 0, index + 1
            elif not batch.schema.equals(writer.schema, check_metadata=False):
                batch = batch.cast(writer.schema)  # a later batch inferred differently (e.g. all nulls)
            take = min(batch.num_rows, shard_rows - rows)
            writer.write_table(batch.slice(0, take))
            rows, batch = rows + take, batch.slice(take)
            if rows == shard_rows:
                writer.close()
                writer = None
                yield path, rows
    if writer is not None:
        writer.close()
        yield path, rows


def ingest_hf(uri: str, s3: Any, bucket: str, prompt_id: str, *, limit: int | None = None,
              shard_rows: int = DEFAULT_SHARD_ROWS,
              on_upload: Callable[[Uploaded], None] | None = None) -> list[Uploaded]:
    """Stream ``uri`` into Parquet shards under ``inputs/<prompt_id>/``; each is uploaded as soon as it is full."""
    source = HfSource.parse(uri)
    uploaded: list[Uploaded] = []
    batches = _checked_columns(_stream(source, limit), uri, prompt_columns(load_templates(s3, bucket), prompt_id))
    with tempfile.TemporaryDirectory(prefix="bedrock-batch-ingest-") as tmp:
        for path, rows in write_shards(batches, Path(tmp), source.slug, shard_rows):
            key = f"inputs/{prompt_id}/{path.name}"
            s3.upload_file(str(path), bucket, key)
            path.unlink()
            uploaded.append(Uploaded(key, rows))
            if on_upload:
                on_upload(uploaded[-1])
    if not uploaded:
        raise IngestError(f"{uri}: the split has no rows" + (" (--limit 0?)" if limit == 0 else ""))
    return uploaded


# -- local files ---------------------------------------------------------------------------------------------------
def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines decoded as UTF-8, one at a time; a bad byte names its line, as the ItemReader needs UTF-8."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise IngestError(f"{path}: line {number} is not UTF-8 (byte 0x{raw[err.start]:02x} at column "
                                  f"{err.start + 1}); save the file as UTF-8") from None


def _csv_records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of each record, quoted newlines kept in their field; blank lines skipped."""
    lines = (line.removeprefix("\ufeff") if number == 1 else line for number, line in _text_lines(path))
    reader = csv.reader(lines, delimiter=delimiter, escapechar="\\", strict=False)
    start = 1
    for fields in reader:
        first, start = start, reader.line_num + 1
        if fields:
            yield first, fields


def _check_csv(path: Path, delimiter: str) -> list[str]:
    """The header's columns, once every record has as many fields as the header: the Distributed Map CSV reader
    pads a short row with empty values and drops a long row's extra ones, so a ragged row loses data silently."""
    records = _csv_records(path, delimiter)
    line, columns = next(records, (1, []))
    if line != 1 or not any(c.strip() for c in columns):
        raise IngestError(f"{path}: no header row; the first line must name the columns")
    names = [c.strip() for c in columns]
    if len(set(names)) != len(names) or not all(names):
        raise IngestError(f"{path}: the header row has empty or repeated column names: {names} (the pipeline would "
                          "give a prompt only the last of two same-named columns)")
    rows = 0
    for line, fields in records:
        if len(fields) != len(columns):
            fate = "padded with empty values" if len(fields) < len(columns) else "cut, its extra values dropped"
            raise IngestError(f"{path}: line {line} has {len(fields)} fields, the header {len(columns)}; the pipeline "
                              f"would read it {fate}: fix the row (a delimiter or quote too many or too few?)")
        rows += 1
    if not rows:
        raise IngestError(f"{path}: no data rows under the header")
    return columns


def _check_jsonl(path: Path) -> list[str]:
    """The first row's keys: the columns the input workflow checks the prompt against."""
    rows = 0
    columns: list[str] = []
    for number, line in _text_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise IngestError(f"{path}: line {number} is not JSON: {err.msg}") from None
        if not isinstance(row, dict) or not row:
            raise IngestError(f"{path}: line {number} is not a JSON object with columns")
        columns = columns or list(row)
        rows += 1
    if not rows:
        raise IngestError(f"{path}: no rows")
    return columns


def _check_parquet(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as err:
        raise IngestError(f"{path}: not a readable Parquet file: {err}") from None
    if metadata.num_columns == 0:
        raise IngestError(f"{path}: no columns")
    if metadata.num_rows == 0:
        raise IngestError(f"{path}: no rows")
    return list(metadata.schema.to_arrow_schema().names)


def check_file(path: Path) -> list[str]:
    """Refuse what the input state machine would refuse: an unknown type, no header or columns, non-UTF-8 text; and
    a ragged CSV row, which it would read padded or cut. Returns the columns the prompt is checked against."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty")
    delimiter = CSV_DELIMITERS.get(suffix)
    if delimiter is not None:
        columns = _check_csv(path, delimiter)
    elif suffix == ".jsonl":
        columns = _check_jsonl(path)
    else:
        columns = _check_parquet(path)
    return columns


def ingest_file(path: Path, s3: Any, bucket: str, prompt_id: str) -> Uploaded:
    """Check ``path`` and upload it unchanged (the delimiter kept) to ``inputs/<prompt_id>/<file name>``."""
    columns = check_file(path)  # the file alone first: no AWS call for a file that cannot go
    required = prompt_columns(load_templates(s3, bucket), prompt_id)
    check_columns(str(path), columns, required, CSV_DELIMITERS.get(path.suffix.lower()))
    key = f"inputs/{prompt_id}/{path.name}"
    s3.upload_file(str(path), bucket, key)
    return Uploaded(key, None)


# -- the command ---------------------------------------------------------------------------------------------------
def resolve_bucket(stack_name: str, cloudformation: Any = None) -> str:
    """The data bucket of a deployed stack: its ``DataBucketName`` output, as ``publish-prompts`` reads it."""
    import boto3
    from botocore.exceptions import ClientError

    client = cloudformation or boto3.client("cloudformation")
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as err:  # credentials, Region, network: the command's one-line report
        raise IngestError(f"stack {stack_name}: {err.response.get('Error', {}).get('Message', err)}; "
                     "check --stack-name and the Region (AWS_REGION)") from None
    outputs = stacks[0].get("Outputs", []) if stacks else []
    bucket = next((o["OutputValue"] for o in outputs if o["OutputKey"] == "DataBucketName"), None)
    if not bucket:
        raise IngestError(f"stack {stack_name} has no DataBucketName output")
    return str(bucket)


def run(args: argparse.Namespace) -> int:
    """The ``ingest`` subcommand: one line per uploaded object, then the count; user errors exit with 2."""
    import boto3

    try:
        if not _PROMPT_ID.match(args.prompt_id):
            raise IngestError(f"--prompt-id {args.prompt_id!r}: use letters, digits, '_', '-' or '.'")
        scheme = _SCHEME.match(args.source)
        if scheme and scheme.group(1).lower() != "hf":
            raise IngestError(f"{args.source}: unknown scheme {scheme.group(1)}://; "
                              "use hf://<dataset id>[:<config>]/<split> or a local file")
        if scheme is None and (args.limit is not None or args.shard_rows is not None):
            raise IngestError(f"{args.source}: --limit and --shard-rows apply to hf:// sources; a file goes as is")
        if args.limit is not None and args.limit < 0 or args.shard_rows is not None and args.shard_rows < 1:
            raise IngestError("--limit must be 0 or more and --shard-rows 1 or more")
        bucket = args.bucket or resolve_bucket(args.stack_name)
        s3 = boto3.client("s3")

        def show(item: Uploaded) -> None:
            rows = f" ({item.rows} rows)" if item.rows is not None else ""
            print(f"s3://{bucket}/{item.key}{rows}", flush=True)

        if scheme:
            uploaded = ingest_hf(args.source, s3, bucket, args.prompt_id, limit=args.limit,
                                 shard_rows=args.shard_rows or DEFAULT_SHARD_ROWS, on_upload=show)
            total = sum(u.rows or 0 for u in uploaded)
            print(f"{len(uploaded)} objects, {total} rows, under s3://{bucket}/inputs/{args.prompt_id}/")
        else:
            show(ingest_file(Path(args.source), s3, bucket, args.prompt_id))
            print(f"1 object under s3://{bucket}/inputs/{args.prompt_id}/")
    except (IngestError, InputRefused) as err:
        print(f"bedrock-batch ingest: {err}", file=sys.stderr)
        return 2
    return 0
