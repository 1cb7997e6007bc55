"""`lgreg.Store`: a learngene store seen from Python, through the `lgreg` binary's `--json` outputs."""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
from typing import Any, Dict, List, Optional

from . import _cli
from ._cli import LgregError

#: The attribute `Store.load` sets on the module it returns: where its weights started, as `record_finetuned`
#: takes it (`{"base": REF}` or `{"base": LEARNGENE, "depth": …, "strategy": …, "order": …, "seed": …}`).
BASE_ATTRIBUTE = "lgreg_base"

#: The version of the lgreg section of an export's config.json this package reads.
CONFIG_VERSION = 2


class Store:
    """An lgreg store: `path`, else lgreg's own default (`$LGREG_HOME`, then `$XDG_DATA_HOME/lgreg`, then
    `~/.local/share/lgreg`). References follow the CLI's grammar (README: "References")."""

    def __init__(self, path: Optional[os.PathLike] = None):
        self.path = None if path is None else str(pathlib.Path(path).expanduser().resolve())

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    # Store operations: each one lgreg command and its JSON report.

    def list(self, kind: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every entry (`lgreg list --all`), or those of one kind: an entry kind (`learngene`, `desnet`,
        `tuned`, `verification`) or a learngene kind (`sws`, `plain`, `tleg`)."""
        entries = _cli.report(self._json(["list", "--all"]), "list")
        if kind is None:
            return entries
        return [entry for entry in entries if kind in (entry.get("entry"), entry.get("kind"))]

    def show(self, ref: str) -> Dict[str, Any]:
        """What `lgreg show REF` says of an entry: its kind, tags, blobs, lineage and config."""
        return _cli.report(self._json(["show", ref]), "show")

    def publish(self, path: os.PathLike) -> Dict[str, Any]:
        """Adds a `.lgz` archive to the store (`lgreg publish`): its reference, digest and blob counts."""
        return _cli.report(self._json(["publish", str(path)]), "publish")

    def pull(self, remote_ref: str, **options: Any) -> Any:
        """Copies entries from a registry or an `oci:` layout into the store (`lgreg pull`); `options` are the
        command's options (`plain_http=True`, `tag="name:version"`)."""
        return self._json(["pull", remote_ref, *_flags(options)])

    def push(self, ref: str, remote: str, **options: Any) -> Any:
        """Copies a stored entry to a registry or an `oci:` layout (`lgreg push`)."""
        return self._json(["push", ref, remote, *_flags(options)])

    def verify(self, ref: Optional[str] = None, **options: Any) -> Dict[str, Any]:
        """Re-checks an entry (every entry when `ref` is None): blobs, manifest, declared and recorded top-1.
        Returns the report (`Schemas/verify-report.schema.json`) whatever its status; `report["status"]` is
        `ok`, `mismatch` or `damaged`. Raises `LgregError` when verification could not run."""
        target = [ref] if ref is not None else ["--all"]
        return self._json(["verify", *target, *_flags(options)], accept=(0, 1))

    # Models.

    def load(
        self,
        ref: str,
        depth: Optional[int] = None,
        strategy: Optional[str] = None,
        order: Optional[str] = None,
        seed: Optional[int] = None,
        device: Any = "cpu",
    ):
        """A timm `VisionTransformer` holding exactly what lgreg runs for `ref`: a learngene expanded to
        `depth` (with `strategy`, `order`, `seed` as `lgreg materialize` takes them), a recorded Des-Net, or a
        tuned Des-Net; in eval mode, on `device`. Its LayerNorm epsilon is the model's own (timm's config
        cannot say it), so its logits equal `lgreg eval`'s. The module carries `lgreg_base`, so a fine-tuned
        copy can be recorded with `record_finetuned(model)`."""
        from . import _torch

        with tempfile.TemporaryDirectory(prefix="lgreg-load-") as folder:
            base = self._export(ref, pathlib.Path(folder) / "model", depth, strategy, order, seed)
            model = _torch.timm_model(pathlib.Path(folder) / "model")
        setattr(model, BASE_ATTRIBUTE, base)
        return model.to(device).eval()

    def state_dict(
        self,
        ref: str,
        depth: Optional[int] = None,
        strategy: Optional[str] = None,
        order: Optional[str] = None,
        seed: Optional[int] = None,
        framework: str = "pt",
    ) -> Dict[str, Any]:
        """The tensors `load` would put in the model, under timm's names, without timm: torch tensors
        (`framework="pt"`) or NumPy arrays (`"np"`)."""
        from safetensors import safe_open

        with tempfile.TemporaryDirectory(prefix="lgreg-state-") as folder:
            target = pathlib.Path(folder) / "model"
            self._export(ref, target, depth, strategy, order, seed)
            with safe_open(str(target / "model.safetensors"), framework=framework) as weights:
                return {name: weights.get_tensor(name) for name in weights.keys()}

    def record_finetuned(
        self,
        model_or_state_dict: Any,
        base: Optional[str] = None,
        recipe: Optional[Dict[str, Any]] = None,
        tag: Optional[str] = None,
        top1: Optional[float] = None,
        depth: Optional[int] = None,
        strategy: Optional[str] = None,
        order: Optional[str] = None,
        seed: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Records a Des-Net fine-tuned anywhere as a tuned entry (`lgreg record`), its lineage pointing at its
        learngene and untuned Des-Net. `base` is what it started from: a recorded Des-Net, or a learngene with
        `depth` (and `strategy`, `order`, `seed`); left out, the base a `load`ed module carries. Each tensor's
        name, shape and dtype is checked against the base; `recipe` is stored as given; lgreg measures the
        top-1 on the Fashion-MNIST test set (a `top1` given is checked against it). Returns what was recorded:
        tag, digest, measured top-1."""
        from . import _torch

        where = {"depth": depth, "strategy": strategy, "order": order, "seed": seed}
        if base is None:
            carried = getattr(model_or_state_dict, BASE_ATTRIBUTE, None)
            if carried is None:
                raise LgregError(
                    64, "no base: pass base= (a recorded Des-Net, or a learngene with depth=), "
                    "or record a module that Store.load returned"
                )
            where = {**{k: carried.get(k) for k in where}, **{k: v for k, v in where.items() if v is not None}}
            base = carried["base"]
        with tempfile.TemporaryDirectory(prefix="lgreg-record-") as folder:
            weights = pathlib.Path(folder) / "model.safetensors"
            trained_with = _torch.save_state_dict(model_or_state_dict, weights)
            arguments = ["record", str(weights), "--base", base, "--trained-with", trained_with]
            if recipe is not None:
                recipe_file = pathlib.Path(folder) / "recipe.json"
                recipe_file.write_text(json.dumps(recipe, sort_keys=True))
                arguments += ["--recipe", str(recipe_file)]
            arguments += _cli.optional_arguments(tag=tag, top1=top1, **where)
            return self._json(arguments)

    # Plumbing.

    def _environment(self) -> Dict[str, str]:
        return {} if self.path is None else {"LGREG_HOME": self.path}

    def _json(self, arguments: List[str], accept=(0,)) -> Any:
        return _cli.run_json(arguments, self._environment(), accept)

    def _export(self, ref, folder, depth, strategy, order, seed) -> Optional[Dict[str, Any]]:
        """Writes `ref` as a timm/Hub folder; returns the base a module loaded from it carries."""
        if depth is not None or strategy is not None or order is not None:
            where = _cli.optional_arguments(depth=depth, strategy=strategy, order=order, seed=seed)
            written = self._json(["materialize", ref, *where, "--output", str(folder)])
            if written.get("tag"):
                return {"base": written["tag"]}
            if written.get("desNetDigest"):
                return {"base": written["desNetDigest"]}
            return None  # an archive's Des-Net: recorded nowhere
        entry = self.show(ref)
        kind = entry.get("entry")
        if kind == "learngene":
            raise LgregError(
                64, f"'{ref}' is a learngene: give depth= (and strategy=, order=, seed=) to load one of its Des-Nets"
            )
        if kind not in ("desnet", "tuned"):
            raise LgregError(64, f"'{ref}' is a {kind} entry, not a model")
        _cli.run(["export", ref, "-o", str(folder)], self._environment())
        if kind == "desnet":
            return {"base": entry["digest"]}
        return None  # a tuned Des-Net: record what is tuned from it against its own Des-Net


def _flags(options: Dict[str, Any]) -> List[str]:
    """Command-line options from keyword arguments: True is a flag, other values `--name value`."""
    arguments = []
    for name, value in options.items():
        if value is True:
            arguments.append("--" + name.replace("_", "-"))
        elif value not in (None, False):
            arguments += ["--" + name.replace("_", "-"), str(value)]
    return arguments
