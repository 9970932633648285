"""A LoRA adapter for the bundled SmolLM2, written with the ``gguf`` package."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

from champion._providers.builtin import builtin_path


def base_shapes() -> tuple[str, dict[str, tuple[int, ...]]]:
    """The bundled SmolLM2's architecture and the ggml shape (ne0, ne1) of each tensor."""
    reader = gguf.GGUFReader(builtin_path("smollm2-135m"))
    field = reader.fields["general.architecture"]
    architecture = bytes(field.parts[field.data[0]]).decode()
    return architecture, {t.name: tuple(int(n) for n in t.shape) for t in reader.tensors}


def write_adapter(path: Path, b_scale: float, *, rank: int = 4, layers: range = range(8),
                  matrices: tuple[str, ...] = ("attn_q", "attn_output", "ffn_down"),
                  ) -> Path:
    """An adapter with A/B pairs for some of the model's weight matrices.

    For a weight of ggml shape (n_in, n_out), ``lora_a`` is (n_in, rank) and
    ``lora_b`` is (rank, n_out) in ggml order: numpy arrays of shape
    (rank, n_in) and (n_out, rank). ``b_scale`` 0 gives B = 0: a no-op adapter.
    """
    architecture, shapes = base_shapes()
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(rank))
    rng = np.random.default_rng(7)
    for layer in layers:
        for matrix in matrices:
            name = f"blk.{layer}.{matrix}.weight"
            n_in, n_out = shapes[name]
            a = rng.standard_normal((rank, n_in)).astype(np.float32) * 0.1
            b = rng.standard_normal((n_out, rank)).astype(np.float32) * b_scale
            writer.add_tensor(f"{name}.lora_a", a)
            writer.add_tensor(f"{name}.lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
