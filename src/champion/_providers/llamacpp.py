"""The embedded provider: a GGUF model in process through llama-cpp-python.

The model is loaded once (``load``), every call runs in a worker thread and is
timed inside that thread around the generation alone. Token counts come from
llama.cpp's own sampling loop (a stopping criterion sees every sampled token),
which is also how a per-call deadline stops a runaway generation.

Options (models file) are ``llama_cpp.Llama``'s own arguments::

    options:
      n_ctx: 2048            # typed: n_ctx, n_batch, n_ubatch, n_threads, n_threads_batch,
      n_threads: 2           # n_gpu_layers, seed, use_mmap, use_mlock, flash_attn,
      lora_path: a.gguf      # rope_freq_base, rope_freq_scale, lora_path, lora_scale, ...

Any other key ``Llama`` takes is passed as given; a key it does not take is not
passed and is named by ``unapplied_settings``. A suite's extra sampling
parameters (``top_k``, ``min_p``, ``repeat_penalty``, ...) go to
``create_completion``.

A LoRA adapter (``lora_path``, ``lora_scale``) makes a configuration of its
own: its key ends in ``+lora:<sha256[:12]>`` and its identity digest combines
the model's and the adapter's, so history never confuses base and adapter.

Images need a vision projector: ``clip_model_path: mmproj.gguf`` loads one
with llama-cpp-python's multimodal chat handler (``chat_handler``, a class
name in ``llama_cpp.llama_chat_format``, default ``Llava15ChatHandler``), and
image cases then go through that handler. Without a projector an image case
is refused (an error trial of kind ``rejected``) without calling the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import inspect
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from champion._errors import CandidateError, ProviderRejected, ProviderTimeout, ProviderUnavailable
from champion._providers.base import (
    Completion,
    Constraint,
    GenerateRequest,
    ModelIdentity,
    Provider,
    ProviderOptions,
    parse_options,
)
from champion._providers.builtin import builtin_path, file_sha256
from champion._providers.candidate import Candidate
from champion._providers.grammar import labels_grammar
from champion._providers.memo import RequestMemo

__all__ = ["LlamaCppOptions", "LlamaCppProvider"]

#: Sampling parameters of ``create_completion`` a suite may set beyond the common ones.
_SAMPLING = frozenset({"top_k", "min_p", "typical_p", "frequency_penalty", "presence_penalty",
                       "repeat_penalty", "tfs_z", "mirostat_mode", "mirostat_tau",
                       "mirostat_eta"})
# Arguments of Llama that are objects or set by the provider itself, never options.
_NOT_OPTIONS = frozenset({"self", "model_path", "verbose", "kwargs", "chat_handler",
                          "draft_model", "tokenizer"})


class LlamaCppOptions(ProviderOptions):
    """The ``llama_cpp.Llama`` arguments champion checks; unset ones keep llama.cpp's default.

    n_threads stays llama.cpp's own default unless the models file sets it.
    """

    n_ctx: int = 2048
    n_batch: int = 512
    n_ubatch: int | None = None
    n_threads: int | None = None
    n_threads_batch: int | None = None
    n_gpu_layers: int | None = None
    main_gpu: int | None = None
    seed: int | None = None
    use_mmap: bool | None = None
    use_mlock: bool | None = None
    flash_attn: bool | None = None
    offload_kqv: bool | None = None
    rope_freq_base: float | None = None
    rope_freq_scale: float | None = None
    lora_base: str | None = None
    lora_path: str | None = None
    lora_scale: float | None = None
    chat_format: str | None = None
    clip_model_path: str | None = None
    chat_handler: str = "Llava15ChatHandler"


#: Typed options that configure champion's use of llama.cpp, not ``Llama`` arguments.
_OWN_OPTIONS = ("clip_model_path", "chat_handler")


@functools.cache
def _llama_arguments() -> frozenset[str]:
    """The keyword arguments ``llama_cpp.Llama`` takes (its ``**kwargs`` swallows the rest)."""
    import llama_cpp

    parameters = inspect.signature(llama_cpp.Llama.__init__).parameters
    return frozenset(name for name, p in parameters.items()
                     if p.kind is not inspect.Parameter.VAR_KEYWORD) - _NOT_OPTIONS


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
    """Sees every sampled token inside llama.cpp's loop: counts them, enforces the
    deadline, and ends the generation when the provider is being closed."""

    __slots__ = ("deadline_ns", "expired", "max_len", "stop")

    def __init__(self, deadline_ns: int, stop: threading.Event) -> None:
        self.deadline_ns = deadline_ns
        self.stop = stop
        self.max_len = 0
        self.expired = False

    def __call__(self, input_ids: Any, _logits: Any) -> bool:
        self.max_len = max(self.max_len, len(input_ids))
        if time.perf_counter_ns() > self.deadline_ns:
            self.expired = True
            return True
        return self.stop.is_set()


class LlamaCppProvider(Provider):
    """Runs a .gguf model (or ``builtin:NAME``) in this process."""

    name: ClassVar[str] = "llamacpp"
    local = True
    extra_params: ClassVar[frozenset[str]] = _SAMPLING

    def __init__(self, candidate: Candidate) -> None:
        super().__init__(candidate)
        model = candidate.model
        if model.startswith("builtin:"):
            self.path = builtin_path(model.removeprefix("builtin:"))
        else:
            self.path = Path(model).expanduser()
            if not self.path.is_file():
                raise CandidateError(f"{candidate.id or model}: no such .gguf file: {model}")
        self.options, self._other_options = parse_options(LlamaCppOptions, candidate)
        self.lora_path = self._optional_file("lora_path", "LoRA adapter")
        self.clip_path = self._optional_file("clip_model_path", "vision projector")
        self._lora_digest: str | None = None
        self._llm: Any = None
        self._chat = True
        self._formatter: Any = None
        self._grammars: dict[str, Any] = {}
        self._prompts: RequestMemo[tuple[list[int], list[str], list[Any]]] = RequestMemo()
        self._digest: str | None = None
        # Every llama.cpp call (load, generate, close) runs on this one thread, in
        # order: the model is never freed while a generation or a load still uses
        # it, whatever happened to the coroutine that started them (Ctrl-C).
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="champion-llama")
        # Set while closing: a generation in flight ends at its next token.
        self._closing = threading.Event()

    def _optional_file(self, option: str, what: str) -> Path | None:
        value = getattr(self.options, option)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            raise CandidateError(f"{self.candidate.id or self.candidate.model}: no such {what}"
                                 f" file: {value} (options.{option})")
        return path

    async def _on_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    async def load(self) -> None:
        """Load the weights (part of the cold start)."""
        await self._on_thread(self._load)

    def key_suffix(self) -> str:
        """``+lora:<sha256[:12]>`` (and ``x<scale>`` when not 1) for an adapter."""
        if self.lora_path is None:
            return ""
        scale = self.options.lora_scale
        return f"+lora:{self._adapter_digest()[:12]}" + (
            f"x{scale:g}" if scale is not None and scale != 1.0 else "")

    def _adapter_digest(self) -> str:
        if self._lora_digest is None and self.lora_path is not None:
            self._lora_digest = file_sha256(self.lora_path)
        return self._lora_digest or ""

    def _llama_options(self) -> dict[str, Any]:
        """The arguments for ``Llama``: typed options, then other keys it takes."""
        accepted = _llama_arguments()
        self.unknown_options = tuple(k for k in self._other_options if k not in accepted)
        options = self.options.model_dump(exclude_none=True, exclude=set(_OWN_OPTIONS))
        if self.lora_path is not None:
            options["lora_path"] = str(self.lora_path)
        options.update({k: self.candidate.options[k] for k in self._other_options
                        if k in accepted})
        return options

    def unapplied_settings(self, request: GenerateRequest) -> list[str]:
        """Options ``Llama`` does not take and parameters ``create_completion`` does not."""
        self._llama_options()
        notes = [f"option {key!r} is not an argument of llama_cpp.Llama; it is not passed"
                 for key in self.unknown_options]
        notes += [f"parameter {key!r} is not applied by the {self.name} provider"
                  for key in sorted(request.extra_params) if key not in _SAMPLING]
        return notes

    def _load(self) -> None:
        import llama_cpp

        options = self._llama_options()
        try:
            with _quiet_stderr():
                if self.clip_path is not None:
                    options["chat_handler"] = self._chat_handler()
                self._llm = llama_cpp.Llama(model_path=str(self.path), verbose=False, **options)
        except (ValueError, RuntimeError, TypeError) as exc:
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

    def _chat_handler(self) -> Any:
        from llama_cpp import llama_chat_format

        name = self.options.chat_handler
        handler = getattr(llama_chat_format, name, None)
        if not (isinstance(handler, type) and name.endswith("ChatHandler")):
            raise ProviderRejected(f"options.chat_handler: {name!r} is not a chat handler of"
                                   " llama_cpp.llama_chat_format (e.g. Llava15ChatHandler)")
        return handler(clip_model_path=str(self.clip_path), verbose=False)

    async def generate(self, request: GenerateRequest) -> Completion:
        """Run one call in a worker thread; the timing is taken inside it.

        Raises:
            ProviderRejected: the request carries images and no vision
                projector is configured.
        """
        has_images = any(m.images for m in request.messages)
        if has_images and self.clip_path is None:
            raise ProviderRejected(
                f"{self.candidate.id or self.path.name} cannot take images: no vision projector"
                " (set options.clip_model_path to the model's mmproj .gguf)")
        if self._llm is None:
            await self.load()
        grammar = self._grammar(request.constraint)
        if has_images:
            completion: Completion = await self._on_thread(self._generate_with_images,
                                                           request, grammar)
        else:
            completion = await self._on_thread(self._generate, request, grammar)
        return completion

    def _generate_with_images(self, request: GenerateRequest, grammar: Any) -> Completion:
        """One call through the multimodal chat handler (it encodes the images itself)."""
        messages = [{"role": m.role, "content": m.content} if not m.images else {
            "role": m.role, "content": [{"type": "text", "text": m.content}] + [
                {"type": "image_url", "image_url": {"url": image.data_uri}}
                for image in m.images]} for m in request.messages]
        options: dict[str, Any] = {
            "max_tokens": request.max_tokens, "temperature": request.temperature,
            "seed": request.seed, "stop": list(request.stop), "grammar": grammar,
            "stream": True}
        if request.top_p is not None:
            options["top_p"] = request.top_p
        options.update({k: v for k, v in request.extra_params.items() if k in _SAMPLING
                        and k in ("top_k", "min_p", "typical_p", "repeat_penalty",
                                  "frequency_penalty", "presence_penalty")})
        pieces: list[str] = []
        ttft: int | None = None
        finish: str | None = None
        start = time.perf_counter_ns()
        deadline = start + int(request.timeout_s * 1e9)
        try:
            for chunk in self._llm.create_chat_completion(messages=messages, **options):
                choice = chunk["choices"][0]
                text = choice.get("delta", {}).get("content")
                if text:
                    if ttft is None:
                        ttft = time.perf_counter_ns() - start
                    pieces.append(text)
                finish = choice.get("finish_reason") or finish
                if self._closing.is_set():
                    raise ProviderUnavailable("interrupted: the model was closed mid-answer")
                if time.perf_counter_ns() > deadline:
                    raise ProviderTimeout(f"timeout: no answer within {request.timeout_s:g} s")
        except (ProviderTimeout, ProviderUnavailable):
            raise
        except Exception as exc:  # llama.cpp errors surface as assorted exceptions
            raise ProviderUnavailable(f"llama.cpp failed: {type(exc).__name__}: {exc}") from exc
        latency = time.perf_counter_ns() - start
        return Completion(text="".join(pieces), latency_ns=latency, ttft_ns=ttft, ttfot_ns=ttft,
                          completion_tokens=len(pieces), tokens_estimated=True,
                          finish_reason=finish)

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
        options.update({k: v for k, v in request.extra_params.items() if k in _SAMPLING})
        pieces: list[str] = []
        ttft: int | None = None
        finish: str | None = None
        start = time.perf_counter_ns()
        sampling = _Sampling(start + int(request.timeout_s * 1e9), self._closing)
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
        if self._closing.is_set():
            raise ProviderUnavailable("interrupted: the model was closed mid-answer")
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

    async def release(self) -> None:
        """Free the model; ``load`` reads it again."""
        await self.aclose()

    async def aclose(self) -> None:
        """Free the model, once a generation in flight has stopped (at its next
        token) and a load in flight has finished."""
        self._closing.set()
        await asyncio.shield(self._on_thread(self._close))

    def _close(self) -> None:
        llm, self._llm = self._llm, None
        self._grammars.clear()
        self._prompts.clear()
        if llm is not None:
            llm.close()
        self._closing.clear()  # on this thread: nothing of the model runs any more

    def threads(self) -> int | None:
        """``n_threads`` of the loaded model (llama.cpp's default when not set)."""
        return None if self._llm is None else int(self._llm.n_threads)

    def identity(self) -> ModelIdentity:
        """Provider, model and the GGUF file's SHA-256; with an adapter, a digest of
        both files and the adapter's own hash and scale in the details."""
        if self._digest is None:
            self._digest = f"sha256:{file_sha256(self.path)}"
        details: dict[str, Any] = {"file": self.path.name, "chat_template": self._chat}
        digest = self._digest
        if self.lora_path is not None:
            adapter = self._adapter_digest()
            scale = 1.0 if self.options.lora_scale is None else self.options.lora_scale
            details["base_digest"] = self._digest
            details["lora"] = {"file": self.lora_path.name, "sha256": adapter, "scale": scale}
            combined = f"{self._digest}+lora:sha256:{adapter}x{scale!r}"
            digest = "sha256:" + hashlib.sha256(combined.encode()).hexdigest()
        if self.clip_path is not None:
            details["projector"] = {"file": self.clip_path.name,
                                    "sha256": file_sha256(self.clip_path),
                                    "chat_handler": self.options.chat_handler}
        return ModelIdentity(self.name, self.candidate.model, None, digest, details)
