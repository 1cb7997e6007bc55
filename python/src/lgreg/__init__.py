"""lgreg for PyTorch users: a learngene store's Des-Nets as timm models, and models fine-tuned in PyTorch recorded
back with their lineage. A thin layer over the `lgreg` binary (`$LGREG_BIN` or on PATH) and its `--json`
outputs; torch and timm are imported only by the functions that need them.

    import lgreg
    store = lgreg.Store()
    model = store.load("fmnist-tiny-sws", depth=12)      # a timm VisionTransformer, eval mode
    ...                                                   # fine-tune it on any device
    store.record_finetuned(model, recipe={"lr": 1e-4})    # a tuned entry; `lgreg verify` re-measures it
"""

from ._cli import LgregError
from .store import Store

__all__ = ["LgregError", "Store"]
__version__ = "0.1.0"
