"""Loopback test servers: a mock OpenAI-compatible endpoint and Ollama's protocol.

For champion's own tests, for calibrating measurements on a new machine, and
for users' tests of code that calls champion. They listen on 127.0.0.1 only.
"""

from champion.testing.loopback import LoopbackServer, Request, Responder
from champion.testing.ollama_server import OllamaModel, OllamaProtocolServer
from champion.testing.openai_mock import MockOpenAIServer

__all__ = ["LoopbackServer", "MockOpenAIServer", "OllamaModel", "OllamaProtocolServer",
           "Request", "Responder"]
