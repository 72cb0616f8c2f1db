"""Architectures: every model of the registry built (not trained) and counted: parameters and
multiply-adds of one forward pass, so that tables read them from results.json instead of building models."""

from __future__ import annotations

from .. import registry
from .base import Context

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "architectures"
#: It counts every model of the registry, so a model added or changed there makes it current no more.
VERSION = f"1-{registry.fingerprint()}"
REQUIRES = ()


def model_size(name: str) -> dict:
    """``{"parameters", "forward_macs_per_image"}`` of the registry model ``name``, built untrained."""
    # lazy: models imports Keras (and TensorFlow), which only computing this section needs
    from ..models import build_model, forward_macs

    model = build_model(name)
    return {"parameters": int(model.count_params()), "forward_macs_per_image": forward_macs(model)}


def compute(ctx: Context, research: dict) -> dict:
    ctx.log(f"Research: parameters and multiply-adds of the {len(registry.MODELS)} models")
    return {"models": {name: model_size(name) for name in registry.MODELS}}


def forward_macs(results: dict, name: str) -> int:
    """The recorded multiply-adds of one forward pass of ``name`` (one image)."""
    return results["research"][KEY]["models"][name]["forward_macs_per_image"]
