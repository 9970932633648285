"""champion: find the fastest correct LLM for each task.

Everything a user of the Python API needs is importable from here::

    from champion import load_suite, run_suite

    result = run_suite(load_suite("examples/ticket-triage.yaml"), ["builtin"], repeats=1)
    result.champion, result.runner_up

Names are imported on first use, so ``import champion`` (and every CLI
command) starts without loading what it does not need. The modules under
``champion`` are not API: import from here (or from ``champion.testing``).
"""

import typing as _typing

from champion._errors import (
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
from champion._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from champion._api import (
        NoCandidateSelected,
        arun_suite,
        arun_suites,
        aselect_candidates,
        run_suite,
        run_suites,
        select_candidates,
    )
    from champion._judge.prompt import parse_verdict
    from champion._judge.session import judge_of_suite
    from champion._providers.base import (
        Completion,
        GenerateRequest,
        Message,
        ModelIdentity,
        Provider,
        ProviderOptions,
    )
    from champion._providers.candidate import Candidate
    from champion._providers.discovery import CandidateFilter
    from champion._providers.registry import register_provider
    from champion._ranking.rank import ModelRanking, Ranking
    from champion._records import ModelRun, Trial
    from champion._registry.answers import (
        AllModelsFailed,
        Answer,
        DisagreementError,
        ModelFailure,
        OverCapacity,
        RoutingError,
        UnknownTask,
    )
    from champion._registry.breaker import BreakerConfig
    from champion._registry.check import CheckOutcome, check_entry
    from champion._registry.entries import RegisteredModel, Registry, RegistryEntry
    from champion._registry.router import Router, RouterConfig
    from champion._report.html import render_html
    from champion._report.json_report import run_to_json
    from champion._report.markdown import render_markdown
    from champion._results import RunResult
    from champion._runner.config import RunConfig, RunListener
    from champion._runner.executors import register_executor
    from champion._runner.executors.base import (
        Executor,
        ExecutorOptions,
        ModelReady,
        RunSetup,
        Work,
    )
    from champion._runner.executors.local import LocalExecutor
    from champion._runner.memory import MemorySink
    from champion._runner.session import NoCandidateLeft
    from champion._runner.strategies import register_strategy
    from champion._runner.strategies.base import Outcome, RunPlan, Strategy, StrategyOptions
    from champion._scoring.kind import (
        CheckKind,
        CheckOptions,
        CheckResult,
        OutputKind,
        ParsedAnswer,
    )
    from champion._scoring.registry import register_check, register_output
    from champion._store.repository import Store
    from champion._suite.loader import load_suite
    from champion._suite.model import Case, Suite
    from champion._web.dashboard import create_dashboard
    from champion._web.gateway import create_gateway
    from champion._web.gateway.app import GatewayConfig
    from champion._web.gateway.server import GatewaySettings, run_gateway
    from champion._web.pages import DashboardPage, register_page
    from champion._workflow.items import load_items
    from champion._workflow.loader import load_workflow
    from champion._workflow.model import Workflow
    from champion._workflow.plan import Plan, plan_workflow
    from champion._workflow.promotion import WorkflowRegistry
    from champion._workflow.render import plan_json
    from champion._workflow.verification import Verification
    from champion._workflow.verify import averify_plan, verify_plan

_LAZY = {
    "judge_of_suite": "champion._judge.session",
    "parse_verdict": "champion._judge.prompt",
    "AllModelsFailed": "champion._registry.answers",
    "Answer": "champion._registry.answers",
    "BreakerConfig": "champion._registry.breaker",
    "Candidate": "champion._providers.candidate",
    "CandidateFilter": "champion._providers.discovery",
    "Case": "champion._suite.model",
    "CheckKind": "champion._scoring.kind",
    "CheckOptions": "champion._scoring.kind",
    "CheckOutcome": "champion._registry.check",
    "CheckResult": "champion._scoring.kind",
    "Completion": "champion._providers.base",
    "DashboardPage": "champion._web.pages",
    "DisagreementError": "champion._registry.answers",
    "Executor": "champion._runner.executors.base",
    "ExecutorOptions": "champion._runner.executors.base",
    "GatewayConfig": "champion._web.gateway.app",
    "GatewaySettings": "champion._web.gateway.server",
    "GenerateRequest": "champion._providers.base",
    "LocalExecutor": "champion._runner.executors.local",
    "MemorySink": "champion._runner.memory",
    "Message": "champion._providers.base",
    "ModelFailure": "champion._registry.answers",
    "ModelIdentity": "champion._providers.base",
    "ModelRanking": "champion._ranking.rank",
    "ModelReady": "champion._runner.executors.base",
    "ModelRun": "champion._records",
    "NoCandidateLeft": "champion._runner.session",
    "NoCandidateSelected": "champion._api",
    "Outcome": "champion._runner.strategies.base",
    "OutputKind": "champion._scoring.kind",
    "OverCapacity": "champion._registry.answers",
    "ParsedAnswer": "champion._scoring.kind",
    "Plan": "champion._workflow.plan",
    "Provider": "champion._providers.base",
    "ProviderOptions": "champion._providers.base",
    "Ranking": "champion._ranking.rank",
    "RegisteredModel": "champion._registry.entries",
    "Registry": "champion._registry.entries",
    "RegistryEntry": "champion._registry.entries",
    "Router": "champion._registry.router",
    "RouterConfig": "champion._registry.router",
    "RoutingError": "champion._registry.answers",
    "RunConfig": "champion._runner.config",
    "RunListener": "champion._runner.config",
    "RunPlan": "champion._runner.strategies.base",
    "RunResult": "champion._results",
    "RunSetup": "champion._runner.executors.base",
    "Store": "champion._store.repository",
    "Strategy": "champion._runner.strategies.base",
    "StrategyOptions": "champion._runner.strategies.base",
    "Suite": "champion._suite.model",
    "Trial": "champion._records",
    "UnknownTask": "champion._registry.answers",
    "Verification": "champion._workflow.verification",
    "Work": "champion._runner.executors.base",
    "Workflow": "champion._workflow.model",
    "WorkflowRegistry": "champion._workflow.promotion",
    "arun_suite": "champion._api",
    "arun_suites": "champion._api",
    "aselect_candidates": "champion._api",
    "averify_plan": "champion._workflow.verify",
    "check_entry": "champion._registry.check",
    "create_dashboard": "champion._web.dashboard",
    "create_gateway": "champion._web.gateway",
    "load_items": "champion._workflow.items",
    "load_suite": "champion._suite.loader",
    "load_workflow": "champion._workflow.loader",
    "plan_json": "champion._workflow.render",
    "plan_workflow": "champion._workflow.plan",
    "register_check": "champion._scoring.registry",
    "register_executor": "champion._runner.executors",
    "register_output": "champion._scoring.registry",
    "register_page": "champion._web.pages",
    "register_provider": "champion._providers.registry",
    "register_strategy": "champion._runner.strategies",
    "render_html": "champion._report.html",
    "render_markdown": "champion._report.markdown",
    "run_gateway": "champion._web.gateway.server",
    "run_suite": "champion._api",
    "run_suites": "champion._api",
    "run_to_json": "champion._report.json_report",
    "select_candidates": "champion._api",
    "verify_plan": "champion._workflow.verify",
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


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
