"""Cross-check lgreg's safetensors against the reference implementation (pip install safetensors numpy).

usage: interop.py OURS THEIRS
Reads OURS (written by lgreg's SafeTensorsInteropTests) and checks every value, then writes THEIRS with
the reference writer for lgreg to read back. Exits non-zero on any mismatch.
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

ours, theirs = sys.argv[1], sys.argv[2]
with safe_open(ours, framework="np") as f:
    assert f.metadata() == {"written_by": "lgreg"}, f.metadata()
    expected = {
        "w": np.array([[0.5, -1, 2], [1e-7, 3.25, -0.125]], dtype=np.float32),
        "h": np.array([1.5, -0.25], dtype=np.float16),
        "i": np.array([7, -3], dtype=np.int64),
        "u": np.array([0, 128, 255], dtype=np.uint8),
    }
    assert sorted(f.keys()) == sorted(expected), f.keys()
    for name, want in expected.items():
        got = f.get_tensor(name)
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), (name, got, want)

save_file(
    {
        "grid": (np.arange(12, dtype=np.float32) / 4 - 1).reshape(3, 4),
        "half": np.array([0.5, -3, 1024], dtype=np.float16),
        "labels": np.array([1, 2, 3, -9_000_000_000], dtype=np.int64),
        "pixels": np.array([1, 2, 254], dtype=np.uint8),
    },
    theirs,
    metadata={"written_by": "python"},
)
print("interop ok")
