"""The embedded provider: a GGUF model in process through llama-cpp-python.

The model is loaded once (``load``), every call runs in a worker thread and is
timed inside that thread around the generation alone. Token counts come from
llama.cpp's own sampling loop (a stopping criterion sees every sampled token),
which is also how a per-call deadline stops a runaway generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from champion.errors import CandidateError, ProviderTimeout, ProviderUnavailable
from champion.providers.base import (
    Completion,
    Constraint,
    GenerateRequest,
    ModelIdentity,
    Provider,
)
from champion.providers.builtin import builtin_path, file_sha256
from champion.providers.candidate import Candidate
from champion.providers.grammar import labels_grammar
from champion.providers.memo import RequestMemo

__all__ = ["LlamaCppProvider"]

# n_threads stays llama.cpp's own default unless the models file sets it.
_DEFAULT_OPTIONS: dict[str, Any] = {"n_ctx": 2048, "n_batch": 512}


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp logs from C during context creation even when not verbose."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _Sampling:
    """Sees every sampled token inside llama.cpp's loop: counts them, enforces the deadline."""

    __slots__ = ("deadline_ns", "expired", "max_len")

    def __init__(self, deadline_ns: int) -> None:
        self.deadline_ns = deadline_ns
        self.max_len = 0
        self.expired = False

    def __call__(self, input_ids: Any, _logits: Any) -> bool:
        self.max_len = max(self.max_len, len(input_ids))
        if time.perf_counter_ns() > self.deadline_ns:
            self.expired = True
            return True
        return False


class LlamaCppProvider(Provider):
    """Runs a .gguf model (or ``builtin:NAME``) in this process."""

    name: ClassVar[str] = "llamacpp"
    local: ClassVar[bool] = True

    def __init__(self, candidate: Candidate) -> None:
        super().__init__(candidate)
        model = candidate.model
        if model.startswith("builtin:"):
            self.path = builtin_path(model.removeprefix("builtin:"))
        else:
            self.path = Path(model).expanduser()
            if not self.path.is_file():
                raise CandidateError(f"{candidate.id or model}: no such .gguf file: {model}")
        self._llm: Any = None
        self._chat = True
        self._formatter: Any = None
        self._grammars: dict[str, Any] = {}
        self._prompts: RequestMemo[tuple[list[int], list[str], list[Any]]] = RequestMemo()
        self._digest: str | None = None

    async def load(self) -> None:
        """Load the weights (part of the cold start)."""
        await asyncio.to_thread(self._load)

    def _load(self) -> None:
        import llama_cpp

        options = {**_DEFAULT_OPTIONS, **self.candidate.options}
        try:
            with _quiet_stderr():
                self._llm = llama_cpp.Llama(model_path=str(self.path), verbose=False, **options)
        except (ValueError, RuntimeError) as exc:
            raise ProviderUnavailable(f"could not load {self.path.name}: {exc}") from exc
        # The chat template comes from the GGUF itself; a base model without one
        # gets a plain completion prompt.
        template = self._llm.metadata.get("tokenizer.chat_template")
        self._chat = template is not None
        if template is not None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llm = self._llm
            eos, bos = llm.token_eos(), llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos],
            )

    async def generate(self, request: GenerateRequest) -> Completion:
        """Run one call in a worker thread; the timing is taken inside it."""
        if self._llm is None:
            await self.load()
        grammar = self._grammar(request.constraint)
        return await asyncio.to_thread(self._generate, request, grammar)

    def _grammar(self, constraint: Constraint | None) -> Any:
        if constraint is None:
            return None
        if constraint.labels:
            key, text = "labels", labels_grammar(constraint.labels)
        elif constraint.json_schema is not None:
            key, text = "schema", json.dumps(constraint.json_schema, sort_keys=True)
        else:
            return None
        cache_key = f"{key}:{text}"
        if cache_key not in self._grammars:
            from llama_cpp.llama_grammar import LlamaGrammar

            self._grammars[cache_key] = (
                LlamaGrammar.from_string(text, verbose=False) if key == "labels"
                else LlamaGrammar.from_json_schema(text, verbose=False)
            )
        return self._grammars[cache_key]

    def _prompt(self, request: GenerateRequest) -> tuple[list[int], list[str], list[Any]]:
        """Tokens, stop strings and stopping criteria for a request (untimed)."""
        llm = self._llm
        stop = list(request.stop)
        criteria: list[Any] = []
        if self._formatter is not None:
            formatted = self._formatter(
                messages=[{"role": m.role, "content": m.content} for m in request.messages]
            )
            text, add_bos = formatted.prompt, not formatted.added_special
            stop += formatted.stop if isinstance(formatted.stop, list) else [formatted.stop]
            if formatted.stopping_criteria is not None:
                criteria.extend(formatted.stopping_criteria)
        else:
            text, add_bos = "\n\n".join(m.content for m in request.messages) + "\n", True
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        return tokens, stop, criteria

    def _generate(self, request: GenerateRequest, grammar: Any) -> Completion:
        from llama_cpp import StoppingCriteriaList

        tokens, stop, criteria = self._prompts.get(request, self._prompt)
        options: dict[str, Any] = {
            "max_tokens": request.max_tokens, "temperature": request.temperature,
            "seed": request.seed, "stop": stop, "grammar": grammar, "stream": True,
        }
        if request.top_p is not None:
            options["top_p"] = request.top_p
        pieces: list[str] = []
        ttft: int | None = None
        finish: str | None = None
        start = time.perf_counter_ns()
        sampling = _Sampling(start + int(request.timeout_s * 1e9))
        options["stopping_criteria"] = StoppingCriteriaList([sampling, *criteria])
        try:
            for chunk in self._llm.create_completion(prompt=tokens, **options):
                choice = chunk["choices"][0]
                if choice["text"]:
                    if ttft is None:
                        ttft = time.perf_counter_ns() - start
                    pieces.append(choice["text"])
                finish = choice.get("finish_reason") or finish
        except Exception as exc:  # llama.cpp errors surface as assorted exceptions
            raise ProviderUnavailable(f"llama.cpp failed: {type(exc).__name__}: {exc}") from exc
        latency = time.perf_counter_ns() - start
        if sampling.expired:
            raise ProviderTimeout(f"timeout: no answer within {request.timeout_s:g} s")
        # The criterion sees the ids evaluated so far: the k-th sampled token is
        # seen with prompt + k - 1 ids. The end-of-generation token is sampled
        # but is not part of the answer.
        sampled = sampling.max_len - len(tokens) + 1 if sampling.max_len else 0
        return Completion(
            text="".join(pieces), latency_ns=latency, ttft_ns=ttft, ttfot_ns=ttft,
            prompt_tokens=len(tokens),
            completion_tokens=max(0, sampled - 1) if finish == "stop" else sampled,
            finish_reason=finish,
        )

    async def aclose(self) -> None:
        """Free the model."""
        llm, self._llm = self._llm, None
        self._grammars.clear()
        self._prompts.clear()
        if llm is not None:
            llm.close()

    def identity(self) -> ModelIdentity:
        """Provider, model and the GGUF file's SHA-256."""
        if self._digest is None:
            self._digest = f"sha256:{file_sha256(self.path)}"
        return ModelIdentity(self.name, self.candidate.model, None, self._digest,
                             {"file": self.path.name, "chat_template": self._chat})
