"""Re-create ``mlp_torch.onnx``: a small PyTorch MLP exported with ``torch.onnx.export``.

Run:  python plugins/onnx/tests/data/make_mlp_torch.py   (needs torch and onnxscript)

The export is checked in so that the conformance case needs no torch (the plugin's ``test`` extra
leaves it out); ``tests/test_torch_export.py`` exports afresh where torch is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SEED = 0


def build_mlp() -> Any:
    """A 4 → 16 → 3 MLP with fixed weights (seeded), in eval mode."""
    import torch

    torch.manual_seed(SEED)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3), torch.nn.Softmax(dim=1)
    ).eval()


def export(model: Any, file: Path) -> None:
    """The new (dynamo) exporter, the default since torch 2.9, with a dynamic batch dimension.

    Works offline with onnxscript installed. ``dynamo=False`` (the TorchScript exporter) also
    works, 20x faster, but warns that it is deprecated and will be removed.
    """
    import torch

    example = (torch.randn(5, 4),)
    program = torch.onnx.export(
        model,
        example,
        input_names=["x"],
        output_names=["probabilities"],
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        dynamo=True,
        verbose=False,
    )
    assert program is not None
    program.save(str(file))


if __name__ == "__main__":
    export(build_mlp(), HERE / "mlp_torch.onnx")
    print(f"wrote {HERE / 'mlp_torch.onnx'}")
