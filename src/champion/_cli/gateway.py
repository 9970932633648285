"""``champion gateway``: an OpenAI-compatible endpoint over the registry.

Every option is also an environment variable (shown in ``--help``).
"""

from __future__ import annotations

import os

import click

from champion._cli.options import db_option

__all__ = ["gateway"]


def _env(name: str) -> str:
    return f"CHAMPION_GATEWAY_{name}"


def _shadow_specs(values: tuple[str, ...]) -> tuple[str, ...]:
    from champion._errors import InputError
    from champion._registry.rollout.shadow import ShadowSpec

    try:
        return tuple(str(ShadowSpec.parse(value)) for value in values)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--shadow") from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar=_env("HOST"),
              help="Address to bind; beyond loopback CHAMPION_TOKEN must be set.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535),
              envvar=_env("PORT"))
@click.option("--stage", default=None, metavar="STAGE", envvar="CHAMPION_STAGE",
              help="Registry stage to serve [default: CHAMPION_STAGE or prod].")
@db_option
@click.option("--workers", type=click.IntRange(1, 256), default=None, envvar=_env("WORKERS"),
              help="Processes serving on the one port [default: the number of CPUs].")
@click.option("--max-in-flight", type=click.IntRange(1), default=None, metavar="N",
              envvar=_env("MAX_IN_FLIGHT"),
              help="Calls in flight per model and worker [default: 256 for an HTTP model,"
                   " 1 for an in-process one].")
@click.option("--max-queue", type=click.IntRange(0), default=None, metavar="N",
              envvar=_env("MAX_QUEUE"),
              help="Calls waiting per model and worker; more get 429 [default: as many as"
                   " --max-in-flight; 16 for an in-process model].")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              default=None, metavar="S", envvar=_env("TIMEOUT"),
              help="Deadline of a model's call on the task route, queueing included"
                   " [default: 3 × its benchmark p90, at least 1 s, at most the suite's"
                   " timeout_s]; also the deadline of a pass-through call [default 120].")
@click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
              envvar=_env("RETRIES"), help="Retries of a transient error within the deadline.")
@click.option("--breaker-window", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, metavar="S", envvar=_env("BREAKER_WINDOW"),
              help="How far back a model's breaker counts calls.")
@click.option("--breaker-min-calls", type=click.IntRange(1), default=2, show_default=True,
              metavar="N", envvar=_env("BREAKER_MIN_CALLS"),
              help="A breaker never opens on fewer calls in its window.")
@click.option("--breaker-failure-rate", type=click.FloatRange(0, 1), default=0.5,
              show_default=True, metavar="F", envvar=_env("BREAKER_FAILURE_RATE"),
              help="A breaker opens when more than this share of its calls failed.")
@click.option("--breaker-cooldown", type=click.FloatRange(min=0), default=30.0,
              show_default=True, metavar="S", envvar=_env("BREAKER_COOLDOWN"),
              help="How long an open breaker skips its model before one probe call.")
@click.option("--refresh", "refresh_s", type=click.FloatRange(min=0.05), default=1.0,
              show_default=True, metavar="S", envvar=_env("REFRESH"),
              help="How often the registry is checked for a new promotion.")
@click.option("--stream", "stream_mode", type=click.Choice(["validated", "live"]),
              default="validated", show_default=True, envvar=_env("STREAM"),
              help="A task's streamed answer: validated first and sent whole, or live"
                   " (tokens as they come; fallback only before the first).")
@click.option("--record", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              metavar="SAMPLE", envvar=_env("RECORD"),
              help="Share of calls written to the store as production samples.")
@click.option("--record-text", is_flag=True, envvar=_env("RECORD_TEXT"),
              help="Keep the prompt's and answer's text in production samples.")
@click.option("--log-format", type=click.Choice(["text", "json", "none"]), default="text",
              show_default=True, envvar=_env("LOG_FORMAT"),
              help="Access log lines on stderr (never the prompt or the answer).")
@click.option("--shadow", "shadows", multiple=True, metavar="TASK=MODEL", envvar=_env("SHADOW"),
              callback=lambda _ctx, _param, value: _shadow_specs(value),
              help="Send a sample of TASK's served calls to MODEL too, off the response path,"
                   " and compare the answers (MODEL: runner-up, a registered model's id or a"
                   " -m spec). Repeatable.")
@click.option("--shadow-sample", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              metavar="FRACTION", envvar=_env("SHADOW_SAMPLE"),
              help="Share of a shadowed task's served calls sent to its shadows.")
@click.option("--shadow-in-flight", type=click.IntRange(1), default=32, show_default=True,
              metavar="N", envvar=_env("SHADOW_IN_FLIGHT"),
              help="Shadow calls at once per worker; more sampled calls are skipped and"
                   " counted.")
def gateway(host: str, port: int, stage: str | None, db: str | None, workers: int | None,
            max_in_flight: int | None, max_queue: int | None, timeout_s: float | None,
            retries: int, breaker_window: float, breaker_min_calls: int,
            breaker_failure_rate: float, breaker_cooldown: float, refresh_s: float,
            stream_mode: str, record: float, record_text: bool, log_format: str,
            shadows: tuple[str, ...], shadow_sample: float, shadow_in_flight: int) -> None:
    """Serve registered champions over the OpenAI chat completions protocol.

    Send model "task:<task>" to reach a task's champion (with fallback to its
    runner-up), or a registered model's id, backend name or -m spec to call it
    directly.

    SIGTERM (or Ctrl-C) stops it gracefully: calls in flight finish, every
    worker writes what it holds (production samples, shadow outcomes, canary
    counts), and the command exits 143 (130).
    """
    from champion._web.security import check_bind

    token = check_bind(host, port, "gateway")
    from champion._registry.breaker import BreakerConfig
    from champion._registry.router import RouterConfig
    from champion._registry.routes import HTTP_IN_FLIGHT
    from champion._web.gateway.app import GatewayConfig
    from champion._web.gateway.rollout import RolloutSettings
    from champion._web.gateway.server import GatewaySettings, describe, run_gateway

    settings = GatewaySettings(
        db=db, host=host, port=port, workers=workers or os.cpu_count() or 1,
        router=RouterConfig(
            stage=stage or "prod", timeout_s=timeout_s, retries=retries,
            breaker=BreakerConfig(window_s=breaker_window, min_calls=breaker_min_calls,
                                  failure_rate=breaker_failure_rate,
                                  cooldown_s=breaker_cooldown),
            refresh_s=refresh_s, max_in_flight=max_in_flight, max_queue=max_queue),
        gateway=GatewayConfig(stream=stream_mode,
                              passthrough_timeout_s=timeout_s or 120.0),
        record=record, record_text=record_text, log_format=log_format,
        rollout=RolloutSettings(shadows=shadows, shadow_sample=shadow_sample,
                                shadow_in_flight=shadow_in_flight))
    lines, warnings = describe(settings)
    shown = f"[{host}]" if ":" in host else host
    limit = max_in_flight or HTTP_IN_FLIGHT
    click.echo(f"champion gateway: http://{shown}:{port}/v1 ({settings.workers} worker"
               f"{'s' if settings.workers > 1 else ''}, {limit} calls in flight per model"
               f" and worker){' with bearer token' if token else ''}", err=True)
    for line in lines:
        click.echo(f"  {line}", err=True)
    for warning in warnings:
        click.secho(f"warning: {warning}", fg="yellow", bold=True, err=True)
    run_gateway(settings, token)
