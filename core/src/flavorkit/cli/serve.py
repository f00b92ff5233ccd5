"""``flavorkit serve``: the scoring server's command-line arguments and what they run.

The server itself is :mod:`flavorkit.serve`; this module only turns arguments into a
:class:`~flavorkit.serve.config.ServeConfig`. Building the parser imports no web framework
(:mod:`flavorkit.serve.config` is plain Python), so ``flavorkit --help`` stays cheap.
"""

from __future__ import annotations

import argparse
from typing import Any

from flavorkit.cli.env import add_env_manager_argument, load_argv, run_in_environment
from flavorkit.cli.loading import MODEL_HELP, add_load_arguments, load_options

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``serve`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    from flavorkit.serve.config import DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_SIZE

    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="serve a model over HTTP: MLflow's scoring protocol, Open Inference Protocol v2, "
        "OpenAPI from the signature (needs flavorkit[serve])",
    )
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=5000, help="port to bind (default: 5000)")
    p.add_argument(
        "--workers", type=int, default=1, help="worker processes, each loading the model"
    )
    p.add_argument(
        "--max-body-size",
        default=str(DEFAULT_MAX_BODY_SIZE),
        metavar="SIZE",
        help="largest request body, e.g. 100MB or 1GiB (default: 100 MiB); larger gets a 413",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds a prediction may take before a 504 (default: 60, as MLflow)",
    )
    p.add_argument(
        "--model-name", help="the name under /v2/models/ (default: the directory's name)"
    )
    p.add_argument("--no-access-log", action="store_true", help="do not log each request")
    p.add_argument(
        "--batching",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="coalesce concurrent requests into one predict call (default: off; it halves "
        "the CPU per request under concurrency but added ~8 ms median latency for a lone "
        "client here: docs/serving.md)",
    )
    p.add_argument(
        "--max-batch-size",
        type=int,
        default=DEFAULT_MAX_BATCH_SIZE,
        metavar="ROWS",
        help=f"most rows in one batched predict (default: {DEFAULT_MAX_BATCH_SIZE})",
    )
    p.add_argument(
        "--max-batch-delay-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="how long a batch waits for more requests (default: 0, never waits: a lone "
        "client sees no added latency)",
    )
    add_load_arguments(p)
    add_env_manager_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flavorkit.serve.config import ServeConfig, parse_size
    from flavorkit.serve.server import serve

    if args.env_manager != "local":
        return run_in_environment(args, _argv(args))

    config = ServeConfig(
        model=args.model,
        host=args.host,
        port=args.port,
        workers=args.workers,
        trust=args.trust,
        load_options=load_options(args),
        max_body_size=parse_size(args.max_body_size),
        timeout=args.timeout,
        model_name=args.model_name,
        access_log=not args.no_access_log,
        batching=args.batching,
        max_batch_size=args.max_batch_size,
        max_batch_delay_ms=args.max_batch_delay_ms,
    )
    return serve(config)


def _argv(args: argparse.Namespace) -> list[str]:
    """This ``serve`` command again, for the model's environment (``--env-manager`` left out)."""
    argv = ["serve", args.model, "--host", args.host, "--port", str(args.port)]
    argv += ["--workers", str(args.workers), "--max-body-size", str(args.max_body_size)]
    argv += ["--timeout", str(args.timeout), "--max-batch-size", str(args.max_batch_size)]
    argv += ["--max-batch-delay-ms", str(args.max_batch_delay_ms)]
    argv.append("--batching" if args.batching else "--no-batching")
    if args.model_name:
        argv += ["--model-name", args.model_name]
    if args.no_access_log:
        argv.append("--no-access-log")
    return argv + load_argv(args)
