"""The exact bytes the Bedrock batch simulator writes for small jobs, pinned.

``test_bedrock_output.py`` compares output lines as parsed JSON; these tests pin the objects byte for byte (their
SHA-256), so a change to how records are parsed, answered, encoded, spooled or uploaded must give the very same
output files and manifests, on every Python the project supports. The pinned digests were taken from the simulator
as of commit f54b9f1, before its per-record work was reorganised; the two embedding jobs' outputs were taken again
when vectors came to be normalised with ``math.fsum`` (``backends.unit_length``), which made them the same on Python
3.11 and 3.13 (``sum`` of floats rounds otherwise from 3.12 on; these are the bytes 3.13 wrote before). Each job
mixes what can move bytes: spaces or none in the input, escaped and raw non-ASCII text, floats (tiny, huge, -0.0,
one that overflows to infinity), integers past 64 bits and a lone surrogate (their lines are written by the json
module, in ASCII), duplicate keys, blank lines, a record without a recordId, a record with an extra key, injected
record errors, and every model family.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import struct
from typing import Any

import pytest

from bedrock_batch.offline.bedrock import DeterministicBackend, SimulatorConfig, family_for
from bedrock_batch.offline.json_text import json_bytes

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def claude_lines() -> list[str]:
    """Input lines (without newlines) of a Claude job, in several JSON writers' styles."""
    lines = []
    for i in range(120):
        body: dict[str, Any] = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 30 + i,
            "temperature": [0.7, 1e-7, 1e100, -0.0, 0.1 * i][i % 5],
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": f"Question {i}: résumé ✓ 漢字 \\ \" \t why do leaves change colour?"}]}],
        }
        if i % 4 == 1:
            body["system"] = "Answer in one sentence."
        if i % 8 == 3:
            body["system"] = 'Reply with JSON that fits this JSON Schema: {"type": "object", "properties": {"mood": ' \
                '{"enum": ["up", "down"]}, "score": {"type": "number", "minimum": 0, "maximum": 1}}, ' \
                '"required": ["mood", "score"]}'

        if i % 6 == 2:
            body["metadata"] = {"ints": [2**63 - 1, -(2**63), 0], "nested": {"ß": [], "": {}}}
        row: dict[str, Any] = {"recordId": f"R{i:04d}", "modelInput": body}
        style = i % 3
        lines.append(json.dumps(row, ensure_ascii=style == 0, separators=(",", ":") if style else (", ", ": ")))
    lines[5] = lines[5].replace('"max_tokens":', '"max_tokens":7,"max_tokens":', 1)  # a duplicate key
    lines[9] = lines[9].replace('"R0009"', '"R0009", "note": 1', 1)  # an extra key: an error line
    lines[12] = json.dumps({"modelInput": json.loads(lines[12])["modelInput"]})  # no recordId: one is generated
    lines[15] = lines[15].replace('"max_tokens"', '"big": 123456789012345678901234567890, "max_tokens"', 1)
    lines[18] = lines[18].replace('"max_tokens"', '"tag": "\\ud800!", "max_tokens"', 1)  # a lone surrogate, escaped
    lines[21] = lines[21].replace('"temperature": 1e-07', '"temperature": 1e400', 1)  # parses to infinity
    lines[24] = lines[24].replace('"messages"', '"messages": [], "x": [{"a": [[1.5e-10]]}], "messages"', 1)
    lines[27] = json.dumps({"recordId": "R0027", "modelInput": {"anthropic_version": 1}})  # a 400 from the model
    lines[30] = lines[30] + "   "
    lines.insert(33, "")
    assert all(mark in "".join(lines) for mark in ('"max_tokens":7,', "1e400", '"note"', '"big"', "\\ud800", '"x"'))
    return lines


def _outputs(bedrock_env: Any, arn: str) -> dict[str, str]:
    """SHA-256 of every object under the job's output folder, by name."""
    folder = f"results/{arn.rsplit('/', 1)[-1]}/"
    found = {}
    for obj in bedrock_env.s3.list_objects_v2(Bucket="bedrock-out", Prefix=folder)["Contents"]:
        body = bedrock_env.s3.get_object(Bucket="bedrock-out", Key=obj["Key"])["Body"].read()
        found[obj["Key"][len(folder):]] = hashlib.sha256(body).hexdigest()
    return found


@pytest.mark.parametrize(("config", "expected"), [
    ({}, {
        "a.jsonl.out": "4a1e30a703945095beb2952d9ba125997e4732a92402c3f0abf9e82a3e2fe032",
        "manifest.json.out": "a085ce64c747395d21df682c3a8ec152eee87391cd6fb056df82eada131a9bae",
        "sub/b.jsonl.out": "e0b94557fc8a0b40faef3c1111f6312b4c5024e782ffaf066bde86ef29b37e68",
    }),
    ({"shuffle_output": True}, {
        "a.jsonl.out": "dacab4bf21e74181641818b3550d73a9b3f3da5db38578da2c118993d771dcb7",
        "manifest.json.out": "a085ce64c747395d21df682c3a8ec152eee87391cd6fb056df82eada131a9bae",
        "sub/b.jsonl.out": "9c14766aa47474c73cce0008961e23446c9ab0734087240bb440539879f72cf8",
    }),
    ({"record_error_rate": 0.2, "partial_jobs": "*", "partial_fraction": 0.6, "invalid_structured_rate": 0.5},
     {
         "a.jsonl.out": "83de8383277e7497e88707a73edc371bbf2d40ff6952e80c395f30a254fb5356",
         "manifest.json.out": "d7c1e58a169ec287872cc481fad2255dc9aafd80c80178a01002469bc34ceaf2",
         "sub/b.jsonl.out": "0c43eefd91f76d33daae77714e3f192ba4882edbed255116a6aa14b98235c055",
     }),
])
def test_claude_job_output_bytes(bedrock_env, config, expected):
    """Two input files (one in a folder, one without a final newline), in order, shuffled, and cut short with
    injected errors and invalid structured answers: the same objects to the byte."""
    sim = bedrock_env.sim(SimulatorConfig(seed=3, **config))
    lines = claude_lines()
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body="\n".join(lines[:50]).encode() + b"\n")
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/sub/b.jsonl", Body="\n".join(lines[50:]).encode())
    arn = bedrock_env.create(sim)
    job = bedrock_env.finish(sim, arn)
    assert job["status"] in ("Completed", "PartiallyCompleted"), job.get("message")
    assert _outputs(bedrock_env, arn) == expected


FAMILY_JOBS = {
    "converse": ("anthropic.claude-3-haiku-20240307-v1:0", "Converse", lambda i: {
        "messages": [{"role": "user", "content": [{"text": f"Summarize the water cycle ({i}) ✓"}]}],
        "system": [{"text": "Be brief."}], "inferenceConfig": {"maxTokens": 5 + i % 40, "temperature": 0.2}}),
    "nova": ("amazon.nova-lite-v1:0", "InvokeModel", lambda i: {
        "schemaVersion": "messages-v1", "inferenceConfig": {"maxTokens": 100},
        "messages": [{"role": "user", "content": [{"text": f"Describe volcanic eruptions ({i})"}]}]}),
    "llama": ("meta.llama3-1-8b-instruct-v1:0", "InvokeModel", lambda i: {
        "prompt": f"Why is the ocean salty? ({i})" if i % 9 else "", "max_gen_len": 128, "top_p": 0.9}),
    "titan": ("amazon.titan-embed-text-v2:0", "InvokeModel", lambda i: {
        "inputText": f"Document number {i} about glaciers", "dimensions": 256, "normalize": i % 2 == 0}),
    "cohere": ("cohere.embed-english-v3", "InvokeModel", lambda i: {
        "texts": [f"first text {i}", f"second text {i}"], "input_type": "search_document", "truncate": "END",
        **({"embedding_types": ["float", "int8"]} if i % 2 else {})}),
}


FAMILY_OUTPUTS = {
    "converse": {
        "a.jsonl.out": "703d9ac41c3ce04e3e92e58bc411964bfd7f811460757993c01a7ec9be60f3f5",
        "manifest.json.out": "455fb3d40c3b789ba3e4bffb970266ee5fdd5e78c9ddcfabdd37af1270ac3ef9",
    },
    "nova": {
        "a.jsonl.out": "9516880305d5cd9352648940461afd5777f96902a3eec1f663faf2ad2555f4a1",
        "manifest.json.out": "f6e5f436897163ee8d63934f716b56b47e3021efc93e1d08e065e163f691f31b",
    },
    "llama": {
        "a.jsonl.out": "e967af69b61696abb19a5c8d5bf6db5882198c83b21f1e76e72c16e42e846348",
        "manifest.json.out": "bd2a2a54dc3374a2b08605d3e91b617ae6ae694b44867cb07fc8f42f6ba4949e",
    },
    "titan": {
        "a.jsonl.out": "9ccd20c5cda0f87bcca0b0e4f081cf56ef1a6133d7ef02348655732eb6b90e7c",
        "manifest.json.out": "cc0bc0ffdbba268d7a69842c9dbd9a06c193325171f03b5a13f0f244e6f1ee72",
    },
    "cohere": {
        "a.jsonl.out": "be904e2370b789f40961f528e004f4835e6429238a1556723fd6484cb6c93316",
        "manifest.json.out": "b1bab32184e6282fb13e08d88e0807501b3c55cc891329aed98af15c22ed4885",
    },
}


@pytest.mark.parametrize("family", FAMILY_JOBS)
def test_family_job_output_bytes(bedrock_env, family):
    """Every family's bodies (embeddings as floats and int8, a Converse job, a 400 per bad record): the same
    objects to the byte."""
    model_id, invocation_type, make = FAMILY_JOBS[family]
    sim = bedrock_env.sim(SimulatorConfig(seed=5))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100, make))
    arn = bedrock_env.create(sim, modelId=model_id, modelInvocationType=invocation_type)
    job = bedrock_env.finish(sim, arn)
    assert job["status"] == "Completed", job.get("message")
    assert _outputs(bedrock_env, arn) == FAMILY_OUTPUTS[family]


def _nested(depth: int) -> Any:
    value: Any = "core"
    for _ in range(depth):
        value = [value]
    return value


def test_each_output_line_is_the_json_bytes_of_the_record_read_by_the_json_module(bedrock_env):
    """An output line holds its record's modelInput exactly as ``json_bytes`` writes the value ``json.loads`` reads
    from the input line, however the simulator reads and keeps it: floats of every magnitude (random bit patterns),
    integers on both sides of 64 bits (orjson would read those past it as floats), nesting on both sides of what
    orjson writes inside a line (past it, the json module writes the line in ASCII), "e+" in a string,
    duplicate keys, escapes and raw non-ASCII text, in compact and spaced JSON."""
    rng = random.Random(11)
    boundaries = [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**18, 10**19, -(10**19), 0]
    lines = []
    for i in range(160):
        floats = []
        while len(floats) < 3:
            value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(value) and (i % 2 or abs(value) < 1e16):  # half the rows: none written with "e+"
                floats.append(value)
        body: dict[str, Any] = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 20,
            "temperature": floats[0],
            "messages": [{"role": "user", "content": [{"type": "text", "text": f"Item {i}: naïve café ✓ \\ \""}]}],
            "metadata": {"floats": floats[1:], "int": boundaries[i % 10], "note": "see+more" * (i % 4 // 3)},
        }
        if i % 20 == 7:
            body["deep"] = _nested(250 + i % 6)  # 250 to 255 levels below modelInput's own
        text = json.dumps({"recordId": f"r{i:03d}", "modelInput": body}, ensure_ascii=i % 3 == 0,
                          separators=(",", ":") if i % 2 else (", ", ": "))
        if i % 17 == 5:
            text = text.replace('"max_tokens":', '"max_tokens":99,"max_tokens":', 1).replace(
                '"max_tokens": ', '"max_tokens": 99, "max_tokens": ', 1)
        lines.append(text)
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body="\n".join(lines).encode() + b"\n")
    sim = bedrock_env.sim()
    arn = bedrock_env.create(sim)
    assert bedrock_env.finish(sim, arn)["status"] == "Completed"
    job_id = arn.rsplit("/", 1)[-1]
    key = f"results/{job_id}/a.jsonl.out"
    written = bedrock_env.s3.get_object(Bucket="bedrock-out", Key=key)["Body"].read().split(b"\n")
    assert written.pop() == b""
    family, backend = family_for(CLAUDE), DeterministicBackend(0)
    expected = []
    for text in lines:
        record_id, model_input = json.loads(text).values()
        output = family.invoke(CLAUDE, model_input, backend, f"{job_id}:{record_id}").output
        expected.append(json_bytes({"recordId": record_id, "modelInput": model_input, "modelOutput": output}))
    assert written == expected
    assert 0 < sum(line.isascii() for line in written) < len(lines) / 2  # the lines the json module writes
