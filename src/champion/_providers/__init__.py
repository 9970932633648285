"""Providers: backends that run a model and time each call."""

from champion._providers.base import (
    Completion,
    Constraint,
    GenerateRequest,
    Message,
    ModelIdentity,
    Provider,
)
from champion._providers.candidate import (
    Candidate,
    Price,
    assign_ids,
    expand_spec,
    load_models_file,
    parse_spec,
)
from champion._providers.registry import create_provider, provider_factory, provider_names

__all__ = [
    "Candidate",
    "Completion",
    "Constraint",
    "GenerateRequest",
    "Message",
    "ModelIdentity",
    "Price",
    "Provider",
    "assign_ids",
    "create_provider",
    "expand_spec",
    "load_models_file",
    "parse_spec",
    "provider_factory",
    "provider_names",
]
