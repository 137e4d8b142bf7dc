"""The ``bedrock-batch`` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from .errors import UserError

#: Set to see the traceback of an unexpected error (a bug), instead of its one-line report.
DEBUG_VARIABLE = "BEDROCK_BATCH_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad flag reported on one line (what is wrong, then where to read the usage)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message}; see {self.prog} --help")


def _run_asl(args: argparse.Namespace) -> int:
    from .offline.errors import DefinitionError
    from .offline.local import offline_aws, preload_s3
    from .offline.runtime import Runtime, RuntimeConfig

    definition = _read_text(args.definition, "the definition")
    input_text = _read_text(args.input_file, "--input-file") if args.input_file else args.input
    try:
        execution_input = json.loads(input_text)
    except json.JSONDecodeError as err:
        print(json.dumps({"status": "FAILED", "output": None, "error": "InvalidExecutionInput",
                          "cause": f"the input is not JSON: {err}"}))
        return 2
    with offline_aws(args.endpoint):
        runtime = Runtime(RuntimeConfig(endpoint_url=args.endpoint))
        try:
            if args.s3_fixture:
                preload_s3(runtime.client("s3"), Path(args.s3_fixture))
            functions = Path(args.functions_dir)
            if functions.is_dir():
                for folder in sorted(p for p in functions.iterdir() if (p / "app.py").is_file()):
                    runtime.register_function_dir(folder)
            machine = runtime.create_state_machine(args.name, definition, args.type)
            execution = runtime.run(machine.arn, execution_input)
            result: dict[str, Any] = execution.result()
        except DefinitionError as err:
            result = {"status": "FAILED", "output": None, "error": "States.InvalidDefinition", "cause": str(err)}
        finally:
            runtime.close()
    print(json.dumps(result))
    return 0 if result["status"] == "SUCCEEDED" else 1


def _read_text(path: str, what: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{what} {path}: " + ("is a folder; give a file" if file.is_dir() else "no such file"))
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{what} {path}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None


def _input_file(path: str, flag: str) -> Path:
    source = Path(path)
    if not source.is_file():
        what = "is a folder" if source.is_dir() else "no such file"
        raise UserError(f"{flag} {source}: {what}; give a .csv, .tsv, .ssv, .psv, .jsonl or .parquet file")
    return source


def _stack_parameters(args: argparse.Namespace) -> dict[str, str]:
    """--parameter NAME=VALUE and the named flags, as template parameters checked against template.yaml."""
    from .demo import REPO
    from .flags import check_parameters, parse_assignments

    parameters = parse_assignments(args.parameter)
    for name, value in (("MaxRecordsPerJob", args.max_records_per_job), ("MinRecordsPerJob", args.min_records_per_job),
                        ("MaxConcurrentJobs", args.max_concurrent_jobs)):
        if value is not None:
            parameters[name] = str(value)
    if args.model_id:
        parameters["ModelId"] = args.model_id
    check_parameters(parameters, REPO / "template.yaml")
    return parameters


def _add_stack_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prompt-id", help="a prompt id from prompts/templates.json (default: the template's)")
    parser.add_argument("--model-id", help="a Bedrock model id (default: the template's ModelId)")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="a template parameter override, e.g. ItemsPerBatch=200 (repeatable)")
    parser.add_argument("--max-records-per-job", type=int, help="template parameter MaxRecordsPerJob")
    parser.add_argument("--min-records-per-job", type=int, help="template parameter MinRecordsPerJob")
    parser.add_argument("--max-concurrent-jobs", type=int, help="template parameter MaxConcurrentJobs")


def _plan(args: argparse.Namespace) -> int:
    from .flags import check_rate
    from .plan import make_plan, print_plan

    source = _input_file(args.file, "FILE")
    check_rate(args.output_share, "--output-share")
    if args.sample is not None and args.sample < 1:
        raise UserError(f"--sample {args.sample}: a number of rows, at least 1 (e.g. --sample 20000)")
    plan = make_plan(source, prompt_id=args.prompt_id, parameters=_stack_parameters(args),
                     output_share=args.output_share, show_progress=not args.json, sample=args.sample)
    if args.json:
        print(json.dumps(plan.as_dict()))
        return plan.exit_code
    return print_plan(plan)


def _demo(args: argparse.Namespace) -> int:
    from .demo import as_json, print_summary, run_demo
    from .flags import check_rate

    source, out = _input_file(args.input, "--input"), Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file; give a folder for the Parquet results")
    check_rate(args.record_error_rate, "--record-error-rate")
    parameters = _stack_parameters(args)
    from .offline.bedrock import SimulatorConfig

    simulator = SimulatorConfig(record_error_rate=args.record_error_rate)
    state = Path(args.state) if args.state else None
    if state is not None and state.exists() and not state.is_dir():
        raise UserError(f"--state {state}: is a file; give a folder to keep the offline table in")
    result = run_demo(source, prompt_id=args.prompt_id, out_dir=out, parameters=parameters,
                      show_progress=not args.json, simulator=simulator, state_dir=state)
    if args.json:
        print(as_json(result))
        return result.verdict()[1]
    return print_summary(result)


def _publish_prompts(args: argparse.Namespace) -> int:
    """After ``sam deploy``: put prompts/templates.json where the input workflow reads it.

    The stack name and Region default to those ``sam deploy`` used (samconfig.toml), so that ``make deploy`` and
    ``make deploy-guided`` publish to the stack they just deployed."""
    import boto3

    from .ingest import resolve_bucket
    from .stack.samconfig import deploy_target

    templates = _read_text(args.templates, "--templates")
    try:
        json.loads(templates)
    except json.JSONDecodeError as err:
        raise UserError(f"--templates {args.templates}: line {err.lineno} column {err.colno}: {err.msg}; "
                        "fix the JSON") from None
    target = deploy_target(Path(args.config_file))
    stack_name, region = args.stack_name or target.stack_name, args.region or target.region
    session = boto3.session.Session(region_name=region)
    bucket = resolve_bucket(stack_name, session.client("cloudformation"))
    session.client("s3").upload_file(args.templates, bucket, "config/prompt-templates.json")
    print(f"s3://{bucket}/config/prompt-templates.json")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from .ingest import run as run_ingest

    return run_ingest(args)


def _status(args: argparse.Namespace) -> int:
    from .status import run as run_status

    if args.state:
        from .saved_state import restored

        with restored(Path(args.state)) as table:
            args.table = table
            return run_status(args)
    return run_status(args)


def _aws_error(err: Exception) -> str:
    """A botocore error as what to do: credentials, Region, endpoint, or what AWS refused."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(err, (NoCredentialsError, PartialCredentialsError)):
        return ("no AWS credentials: run `aws configure` or `aws sso login`, or set AWS_PROFILE "
                "(offline, without an account: bedrock-batch demo)")
    if isinstance(err, NoRegionError):
        return "no AWS Region: set AWS_REGION (or pass --region where the command has it, or add one to your profile)"
    if isinstance(err, EndpointConnectionError):
        return f"cannot reach {err.kwargs.get('endpoint_url', 'AWS')}: check the network, AWS_ENDPOINT_URL and --region"
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code, message = error.get("Code", "Error"), error.get("Message", "")
        hints = {"NoSuchBucket": "check --bucket or the stack's DataBucketName output",
                 "ResourceNotFoundException": "check --table, --stack-name and --region",
                 "AccessDenied": "use credentials allowed to do this", "ExpiredToken": "refresh your credentials"}
        hint = hints.get(code, "check the names, --stack-name and --region")
        return f"AWS refused {err.operation_name}: {code}: {message}; {hint}"
    return f"AWS: {err}"


def main(argv: list[str] | None = None) -> int:
    """Run one command; whatever goes wrong is one line on stderr and an exit code, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    command = next((a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")), "")
    prog = f"bedrock-batch {command}".strip()
    try:
        return _main(argv)
    except UserError as err:
        message, code = str(err), err.exit_code
        if not message.startswith("bedrock-batch"):
            message = f"{prog}: {message}"
    except KeyboardInterrupt:
        message, code = f"{prog}: interrupted (Ctrl-C); nothing runs on offline; a deployed run goes on", 130
    except (BotoCoreError, ClientError) as err:
        message, code = f"{prog}: {_aws_error(err)}", 2
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        message, code = f"{prog}: {where}{err.strerror or err}", 2
    except Exception as err:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        message = (f"{prog}: unexpected error {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} "
                   f"(a bug: set {DEBUG_VARIABLE}=1 for the traceback and report it)")
        code = 1
    print(" ".join(message.split()), file=sys.stderr)
    return code


def _main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="bedrock-batch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run-asl", help="run one state machine definition offline and print its result as JSON")
    run.add_argument("definition", help="the ASL JSON file")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--input", default="{}", help="the execution input, as JSON")
    source.add_argument("--input-file", help="a file holding the execution input")
    run.add_argument("--endpoint", help="a moto server URL; default: moto in process")
    run.add_argument("--s3-fixture", help="a folder of <bucket>/<key> files to upload first")
    run.add_argument("--functions-dir", default="functions", help="Lambda handlers to register (folder/app.py)")
    run.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"])
    run.add_argument("--name", default="offline", help="the state machine's name")
    run.set_defaults(func=_run_asl)

    demo = sub.add_parser("demo", help="run the whole pipeline offline on a local file")
    demo.add_argument("--input", default="samples/reviews.csv",
                      help="a .csv, .tsv, .ssv, .psv (with a header row), .jsonl or .parquet file")
    _add_stack_flags(demo)
    demo.add_argument("--out", default="out", help="where to write the Parquet results")
    demo.add_argument("--record-error-rate", type=float, default=0.02,
                      help="share of records the simulated Bedrock job fails (they land in the dead-letter queue)")
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of the summary lines")
    demo.add_argument("--state", metavar="DIR",
                      help="keep the results table here, for `bedrock-batch status --state DIR` afterwards")
    demo.set_defaults(func=_demo)

    plan = sub.add_parser("plan", help="what a file would become (rows refused, jobs, tokens, cost, quotas), "
                                       "offline, before anything is uploaded")
    plan.add_argument("file", metavar="FILE", help="a .csv, .tsv, .ssv, .psv (with a header row), .jsonl or .parquet")
    _add_stack_flags(plan)
    plan.add_argument("--output-share", type=float, default=0.25,
                      help="typical answer length as a share of MaxTokens, for the typical output tokens and cost")
    plan.add_argument("--sample", type=int, metavar="N",
                      help="run the workflows on the first N rows only and scale their figures to every row "
                           "(every row is still counted); for files of a million rows")
    plan.add_argument("--json", action="store_true", help="print one JSON object instead of the summary lines")
    plan.set_defaults(func=_plan)

    publish = sub.add_parser("publish-prompts", help="upload prompts/templates.json to a deployed stack's bucket")
    publish.add_argument("--stack-name", help="default: stack_name in --config-file, else bedrock-batch")
    publish.add_argument("--region", help="default: region in --config-file, else the AWS CLI's")
    publish.add_argument("--config-file", default="samconfig.toml", help="the SAM CLI configuration sam deploy used")
    publish.add_argument("--templates", default="prompts/templates.json")
    publish.set_defaults(func=_publish_prompts)

    ingest = sub.add_parser("ingest", help="put a Hugging Face dataset (as Parquet) or a local file under inputs/")
    ingest.add_argument("source", help="hf://<dataset id>[:<config>]/<split>, or a .csv/.tsv/.ssv/.psv/.jsonl/.parquet")
    ingest.add_argument("--prompt-id", required=True, help="the prompt template: objects go to inputs/<prompt-id>/")
    ingest.add_argument("--limit", type=int, help="hf:// only: ingest at most this many rows")
    ingest.add_argument("--shard-rows", type=int, help="hf:// only: rows per Parquet file (default 100000)")
    target = ingest.add_mutually_exclusive_group(required=True)
    target.add_argument("--bucket", help="the data bucket")
    target.add_argument("--stack-name", help="a deployed stack: its DataBucketName output is the bucket")
    ingest.set_defaults(func=_ingest)

    from .status import add_arguments as status_arguments

    status = sub.add_parser("status", help="the runs in the results table, or one run and its jobs")
    status_arguments(status)
    status.set_defaults(func=_status)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
