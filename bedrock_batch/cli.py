"""Amazon Bedrock batch inference orchestrated by AWS Step Functions state machines in JSONata, and the same
pipeline run offline, on the same template.yaml and ASL files, with no AWS account.

Offline: `demo` runs the whole pipeline on a local file, `plan` says what a file would become before it is
uploaded, `run-asl` runs any one state machine definition, `status --state DIR` reads a saved demo. With a stack
deployed by `make deploy` (AWS credentials and a Region): `publish-prompts`, `ingest` and `status --stack-name`."""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from .errors import UserError

#: Set to see the traceback of an unexpected error (a bug), instead of its one-line report.
DEBUG_VARIABLE = "BEDROCK_BATCH_DEBUG"


_EPILOG = """\
`bedrock-batch COMMAND --help` explains each option and shows its default. Start with
`bedrock-batch demo` (what `make demo` runs). Bad input is reported on one line on stderr with exit code 2;
an unexpected error (a bug) exits 1, and BEDROCK_BATCH_DEBUG=1 shows its traceback."""


@functools.cache
def _template_default(name: str) -> str:
    from .demo import REPO
    from .flags import template_parameters

    return str(template_parameters(REPO / "template.yaml").get(name, {}).get("Default", "none"))


class _HelpFormatter(argparse.HelpFormatter):
    """Help whose ``{template:Name}`` shows template.yaml's default for that parameter, read only when help is."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return re.sub(r"\{template:(\w+)\}", lambda m: _template_default(m.group(1)), action.help or "")


class _TopHelpFormatter(argparse.RawDescriptionHelpFormatter, _HelpFormatter):
    """The top-level help keeps the paragraphs of its description and epilog."""


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
    parser.add_argument("--prompt-id", help="the prompt template, a prompt id from prompts/templates.json; the "
                        "file goes under inputs/<prompt-id>/ (default: {template:DefaultPromptId}, the template's "
                        "DefaultPromptId)")
    parser.add_argument("--model-id", help="the Bedrock model or inference profile id, template parameter ModelId "
                        "(default: {template:ModelId})")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="set any template.yaml parameter, e.g. ItemsPerBatch=200; repeatable; checked against "
                             "the template's names, allowed values and ranges (default: the template's defaults)")
    parser.add_argument("--max-records-per-job", type=int, metavar="N",
                        help="most records in one batch job, template parameter MaxRecordsPerJob "
                             "(default: {template:MaxRecordsPerJob})")
    parser.add_argument("--min-records-per-job", type=int, metavar="N",
                        help="fewest records in one batch job (a smaller file is answered on demand), template "
                             "parameter MinRecordsPerJob (default: {template:MinRecordsPerJob})")
    parser.add_argument("--max-concurrent-jobs", type=int, metavar="N",
                        help="most batch jobs in flight at once, template parameter MaxConcurrentJobs "
                             "(default: {template:MaxConcurrentJobs})")


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
        raise UserError(f"--state {state}: is a file; give a folder to keep the offline stack's state in")
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

        with restored(Path(args.state)) as stack:
            args.table = stack.table
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
    parser = _Parser(prog="bedrock-batch", description=__doc__, epilog=_EPILOG, formatter_class=_TopHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")

    def command(name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description or summary[0].upper() + summary[1:] + ".",
                              formatter_class=_HelpFormatter)

    run = command("run-asl", "run one state machine definition offline and print its result as JSON",
                  "Run one state machine definition (JSONata) offline, on moto, and print "
                  '{"status", "output", "error", "cause"} with AWS\'s error names. Exit 0 when it succeeds.')
    run.add_argument("definition", help="the state machine definition, an ASL JSON file")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--input", default="{}", metavar="JSON",
                        help="the execution input, as JSON text (default: %(default)s)")
    source.add_argument("--input-file", metavar="FILE", help="read the execution input from this JSON file instead")
    run.add_argument("--endpoint", metavar="URL",
                     help="run against this moto server instead of moto in process (default: moto in process)")
    run.add_argument("--s3-fixture", metavar="DIR",
                     help="upload the files of DIR, laid out as <bucket>/<key>, before the run (default: none)")
    run.add_argument("--functions-dir", default="functions", metavar="DIR",
                     help="register every DIR/<name>/app.py as a Lambda function the definition can invoke "
                          "(default: %(default)s)")
    run.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"],
                     help="the state machine type, whose limits apply (default: %(default)s)")
    run.add_argument("--name", default="offline",
                     help="the state machine's name, in its ARN and the context object (default: %(default)s)")
    run.set_defaults(func=_run_asl)

    demo = command("demo", "run the whole pipeline offline on a local file",
                   "Deploy template.yaml into moto, upload a file under inputs/<prompt-id>/, run every workflow and "
                   "the simulated Bedrock batch job on a virtual clock, and print what came back, ending with one "
                   "verdict line. The answers are placeholders made by the offline simulator, not model output. "
                   "Exit 0: every row accounted for; 1: rows unaccounted for, every record failed or the run is "
                   "incomplete; 2: refused or a bad flag.")
    demo.add_argument("--input", default="samples/reviews.csv", metavar="FILE",
                      help="the file to run: .csv, .tsv, .ssv, .psv (with a header row), .jsonl or .parquet "
                           "(default: %(default)s)")
    _add_stack_flags(demo)
    demo.add_argument("--out", default="out", metavar="DIR",
                      help="where to write the Parquet results and dead-letters.jsonl (default: %(default)s)")
    demo.add_argument("--record-error-rate", type=float, default=0.02, metavar="RATE",
                      help="share of records, 0 to 1, the simulated Bedrock job fails, to show the dead-letter queue "
                           "(default: %(default)s)")
    demo.add_argument("--json", action="store_true",
                      help="print one JSON object instead of the summary lines (default: summary lines)")
    demo.add_argument("--state", metavar="DIR",
                      help="keep the results table, the data bucket's objects and the dead letters in DIR, for "
                           "`bedrock-batch status --state DIR` and bedrock_batch.saved_state.restored(DIR) "
                           "afterwards (default: not kept)")
    demo.set_defaults(func=_demo)

    plan = command("plan", "what a file would become (rows refused, jobs, tokens, cost, quotas), offline, before "
                           "anything is uploaded",
                   "Say what a file would become on the stack, offline, with no AWS account and no model call: the "
                   "rows it would refuse and why, the jobs and their sizes, tokens, the cost in batch and on demand, "
                   "and the quotas the run meets. Exit 0: it would run; 1: a quota is over; 2: the stack would "
                   "refuse the file, or a bad flag.")
    plan.add_argument("file", metavar="FILE",
                      help="the file to plan: .csv, .tsv, .ssv, .psv (with a header row), .jsonl or .parquet")
    _add_stack_flags(plan)
    plan.add_argument("--output-share", type=float, default=0.25, metavar="SHARE",
                      help="typical answer length as a share of MaxTokens, for the typical output tokens and cost "
                           "(default: %(default)s)")
    plan.add_argument("--sample", type=int, metavar="N",
                      help="run the workflows on the first N rows only and scale their figures to every row "
                           "(every row is still counted); for files of a million rows (default: every row)")
    plan.add_argument("--json", action="store_true",
                      help="print one JSON object instead of the summary lines (default: summary lines)")
    plan.set_defaults(func=_plan)

    publish = command("publish-prompts", "upload prompts/templates.json to a deployed stack's bucket",
                      "Upload the prompt templates to s3://<DataBucketName>/config/prompt-templates.json, where "
                      "the stack's input workflow reads them. `make deploy` runs it; run it again after editing "
                      "the prompts (no redeploy needed).")
    publish.add_argument("--stack-name", help="the deployed stack (default: stack_name in --config-file, under "
                                              "[default.deploy.parameters] or [default.global.parameters], "
                                              "else bedrock-batch)")
    publish.add_argument("--region", help="the stack's Region (default: region in --config-file, else the AWS "
                                          "CLI's)")
    publish.add_argument("--config-file", default="samconfig.toml", metavar="FILE",
                         help="the SAM CLI configuration sam deploy used (default: %(default)s)")
    publish.add_argument("--templates", default="prompts/templates.json", metavar="FILE",
                         help="the prompt templates to upload (default: %(default)s)")
    publish.set_defaults(func=_publish_prompts)

    ingest = command("ingest", "put a Hugging Face dataset (as Parquet) or a local file under inputs/",
                     "Check a local file as the input workflow would and upload it to "
                     "inputs/<prompt-id>/ in the stack's bucket, or stream a Hugging Face dataset split there as "
                     "Parquet shards. Each upload starts a run.")
    ingest.add_argument("source", help="hf://<dataset id>[:<config>]/<split>, or a .csv/.tsv/.ssv/.psv/.jsonl/.parquet")
    ingest.add_argument("--prompt-id", required=True,
                        help="the prompt template: objects go to inputs/<prompt-id>/ (required)")
    ingest.add_argument("--limit", type=int, metavar="N",
                        help="hf:// only: ingest at most N rows (default: every row of the split)")
    ingest.add_argument("--shard-rows", type=int, metavar="N",
                        help="hf:// only: rows per Parquet file (default: 100000)")
    target = ingest.add_mutually_exclusive_group(required=True)
    target.add_argument("--bucket", help="the data bucket (give this or --stack-name)")
    target.add_argument("--stack-name", help="a deployed stack: its DataBucketName output is the bucket")
    ingest.set_defaults(func=_ingest)

    from .status import add_arguments as status_arguments

    status = command("status", "the runs in the results table, or one run and its jobs",
                     "List the runs in a stack's results table, newest first, or show one run with its jobs and "
                     "their progress as Bedrock reports it. Works on AWS (--stack-name, --table) and offline on a "
                     "saved demo (--state).")
    status_arguments(status)
    status.set_defaults(func=_status)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
