"""Loopback test servers: a mock OpenAI-compatible endpoint and Ollama's protocol.

For champion's own tests, for calibrating measurements on a new machine, and
for users' tests of code that calls champion. They listen on 127.0.0.1 only.
"""

from champion.testing.loopback import (
    FAULTS,
    Fault,
    LoopbackServer,
    RawResponse,
    Request,
    Responder,
)
from champion.testing.ollama_server import OllamaModel, OllamaProtocolServer
from champion.testing.openai_mock import MockOpenAIServer

__all__ = ["FAULTS", "Fault", "LoopbackServer", "MockOpenAIServer", "OllamaModel",
           "OllamaProtocolServer", "RawResponse", "Request", "Responder"]
