"""champion: find the fastest correct LLM for each task.

Everything a user of the Python API needs is importable from here::

    from champion import load_suite, run_suite

    result = run_suite(load_suite("examples/ticket-triage.yaml"), ["builtin"], repeats=1)
    result.champion, result.runner_up

Names are imported on first use, so ``import champion`` (and every CLI
command) starts without loading what it does not need. The modules under
``champion`` are not API: import from here (or from ``champion.testing``).
"""

import importlib as _importlib
import typing as _typing

from champion.errors import (
    CandidateError,
    ChampionError,
    ConstraintRejected,
    InputError,
    MissingDependency,
    MissingKey,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StoreError,
    SuiteError,
    UnknownModel,
    WorkflowError,
)

if _typing.TYPE_CHECKING:
    from champion.api import (
        NoCandidateSelected,
        arun_suite,
        arun_suites,
        aselect_candidates,
        run_suite,
        run_suites,
        select_candidates,
    )
    from champion.judge.prompt import parse_verdict
    from champion.judge.session import judge_of_suite
    from champion.providers.base import (
        Completion,
        GenerateRequest,
        Message,
        ModelIdentity,
        Provider,
        ProviderOptions,
    )
    from champion.providers.candidate import Candidate
    from champion.providers.discovery import CandidateFilter
    from champion.providers.registry import register_provider
    from champion.ranking.rank import ModelRanking, Ranking
    from champion.records import ModelRun, Trial
    from champion.registry.answers import (
        AllModelsFailed,
        Answer,
        DisagreementError,
        ModelFailure,
        OverCapacity,
        RoutingError,
        UnknownTask,
    )
    from champion.registry.breaker import BreakerConfig
    from champion.registry.check import CheckOutcome, check_entry
    from champion.registry.entries import RegisteredModel, Registry, RegistryEntry
    from champion.registry.router import Router, RouterConfig
    from champion.report.html import render_html
    from champion.report.json_report import run_to_json
    from champion.report.markdown import render_markdown
    from champion.results import RunResult
    from champion.runner.config import RunConfig, RunListener
    from champion.runner.executors import register_executor
    from champion.runner.executors.base import Executor, ExecutorOptions, ModelReady, RunSetup, Work
    from champion.runner.executors.local import LocalExecutor
    from champion.runner.memory import MemorySink
    from champion.runner.session import NoCandidateLeft
    from champion.runner.strategies import register_strategy
    from champion.runner.strategies.base import Outcome, RunPlan, Strategy, StrategyOptions
    from champion.scoring.kind import CheckKind, CheckOptions, CheckResult, OutputKind, ParsedAnswer
    from champion.scoring.registry import register_check, register_output
    from champion.store.repository import Store
    from champion.suite.loader import load_suite
    from champion.suite.model import Case, Suite
    from champion.web.dashboard import create_dashboard
    from champion.web.gateway import create_gateway
    from champion.web.gateway.app import GatewayConfig
    from champion.web.gateway.server import GatewaySettings, run_gateway
    from champion.web.pages import DashboardPage, register_page
    from champion.workflow.items import load_items
    from champion.workflow.loader import load_workflow
    from champion.workflow.model import Workflow
    from champion.workflow.plan import Plan, plan_workflow
    from champion.workflow.promotion import WorkflowRegistry
    from champion.workflow.render import plan_json
    from champion.workflow.verification import Verification
    from champion.workflow.verify import averify_plan, verify_plan

_LAZY = {
    "judge_of_suite": "champion.judge.session",
    "parse_verdict": "champion.judge.prompt",
    "AllModelsFailed": "champion.registry.answers",
    "Answer": "champion.registry.answers",
    "BreakerConfig": "champion.registry.breaker",
    "Candidate": "champion.providers.candidate",
    "CandidateFilter": "champion.providers.discovery",
    "Case": "champion.suite.model",
    "CheckKind": "champion.scoring.kind",
    "CheckOptions": "champion.scoring.kind",
    "CheckOutcome": "champion.registry.check",
    "CheckResult": "champion.scoring.kind",
    "Completion": "champion.providers.base",
    "DashboardPage": "champion.web.pages",
    "DisagreementError": "champion.registry.answers",
    "Executor": "champion.runner.executors.base",
    "ExecutorOptions": "champion.runner.executors.base",
    "GatewayConfig": "champion.web.gateway.app",
    "GatewaySettings": "champion.web.gateway.server",
    "GenerateRequest": "champion.providers.base",
    "LocalExecutor": "champion.runner.executors.local",
    "MemorySink": "champion.runner.memory",
    "Message": "champion.providers.base",
    "ModelFailure": "champion.registry.answers",
    "ModelIdentity": "champion.providers.base",
    "ModelRanking": "champion.ranking.rank",
    "ModelReady": "champion.runner.executors.base",
    "ModelRun": "champion.records",
    "NoCandidateLeft": "champion.runner.session",
    "NoCandidateSelected": "champion.api",
    "Outcome": "champion.runner.strategies.base",
    "OutputKind": "champion.scoring.kind",
    "OverCapacity": "champion.registry.answers",
    "ParsedAnswer": "champion.scoring.kind",
    "Plan": "champion.workflow.plan",
    "Provider": "champion.providers.base",
    "ProviderOptions": "champion.providers.base",
    "Ranking": "champion.ranking.rank",
    "RegisteredModel": "champion.registry.entries",
    "Registry": "champion.registry.entries",
    "RegistryEntry": "champion.registry.entries",
    "Router": "champion.registry.router",
    "RouterConfig": "champion.registry.router",
    "RoutingError": "champion.registry.answers",
    "RunConfig": "champion.runner.config",
    "RunListener": "champion.runner.config",
    "RunPlan": "champion.runner.strategies.base",
    "RunResult": "champion.results",
    "RunSetup": "champion.runner.executors.base",
    "Store": "champion.store.repository",
    "Strategy": "champion.runner.strategies.base",
    "StrategyOptions": "champion.runner.strategies.base",
    "Suite": "champion.suite.model",
    "Trial": "champion.records",
    "UnknownTask": "champion.registry.answers",
    "Verification": "champion.workflow.verification",
    "Work": "champion.runner.executors.base",
    "Workflow": "champion.workflow.model",
    "WorkflowRegistry": "champion.workflow.promotion",
    "arun_suite": "champion.api",
    "arun_suites": "champion.api",
    "aselect_candidates": "champion.api",
    "averify_plan": "champion.workflow.verify",
    "check_entry": "champion.registry.check",
    "create_dashboard": "champion.web.dashboard",
    "create_gateway": "champion.web.gateway",
    "load_items": "champion.workflow.items",
    "load_suite": "champion.suite.loader",
    "load_workflow": "champion.workflow.loader",
    "plan_json": "champion.workflow.render",
    "plan_workflow": "champion.workflow.plan",
    "register_check": "champion.scoring.registry",
    "register_executor": "champion.runner.executors",
    "register_output": "champion.scoring.registry",
    "register_page": "champion.web.pages",
    "register_provider": "champion.providers.registry",
    "register_strategy": "champion.runner.strategies",
    "render_html": "champion.report.html",
    "render_markdown": "champion.report.markdown",
    "run_gateway": "champion.web.gateway.server",
    "run_suite": "champion.api",
    "run_suites": "champion.api",
    "run_to_json": "champion.report.json_report",
    "select_candidates": "champion.api",
    "verify_plan": "champion.workflow.verify",
}

__all__ = [
    "AllModelsFailed",
    "Answer",
    "BreakerConfig",
    "Candidate",
    "CandidateError",
    "CandidateFilter",
    "Case",
    "ChampionError",
    "CheckKind",
    "CheckOptions",
    "CheckOutcome",
    "CheckResult",
    "Completion",
    "ConstraintRejected",
    "DashboardPage",
    "DisagreementError",
    "Executor",
    "ExecutorOptions",
    "GatewayConfig",
    "GatewaySettings",
    "GenerateRequest",
    "InputError",
    "LocalExecutor",
    "MemorySink",
    "Message",
    "MissingDependency",
    "MissingKey",
    "ModelFailure",
    "ModelIdentity",
    "ModelRanking",
    "ModelReady",
    "ModelRun",
    "NoCandidateLeft",
    "NoCandidateSelected",
    "Outcome",
    "OutputKind",
    "OverCapacity",
    "ParsedAnswer",
    "Plan",
    "Provider",
    "ProviderError",
    "ProviderOptions",
    "ProviderProtocolError",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "Ranking",
    "RateLimited",
    "RegisteredModel",
    "Registry",
    "RegistryEntry",
    "Router",
    "RouterConfig",
    "RoutingError",
    "RunConfig",
    "RunListener",
    "RunPlan",
    "RunResult",
    "RunSetup",
    "Store",
    "StoreError",
    "Strategy",
    "StrategyOptions",
    "Suite",
    "SuiteError",
    "Trial",
    "UnknownModel",
    "UnknownTask",
    "Verification",
    "Work",
    "Workflow",
    "WorkflowError",
    "WorkflowRegistry",
    "arun_suite",
    "arun_suites",
    "aselect_candidates",
    "averify_plan",
    "check_entry",
    "create_dashboard",
    "create_gateway",
    "judge_of_suite",
    "load_items",
    "load_suite",
    "load_workflow",
    "parse_verdict",
    "plan_json",
    "plan_workflow",
    "register_check",
    "register_executor",
    "register_output",
    "register_page",
    "register_provider",
    "register_strategy",
    "render_html",
    "render_markdown",
    "run_gateway",
    "run_suite",
    "run_suites",
    "run_to_json",
    "select_candidates",
    "verify_plan",
]


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'champion' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
