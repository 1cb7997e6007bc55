"""Reads a model card (an export's README.md) with huggingface_hub's own parser, offline, and prints what the Hub
would index as JSON: licence, tags, data sets, the lineage block and every `model-index` result.

    HF_HUB_OFFLINE=1 python3 Tests/LgregResolverTests/Python/check_model_card.py DIR/README.md

`ModelCard(..., ignore_metadata_errors=False)` refuses front matter that is not YAML, or a `model-index` the Hub
cannot turn into evaluation results (exit 1 with the parser's message).
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from huggingface_hub import ModelCard  # noqa: E402

try:
    card = ModelCard(open(sys.argv[1], encoding="utf-8").read(), ignore_metadata_errors=False)
except Exception as error:  # the parser's own refusal, whatever its type
    print(f"huggingface_hub refused the card: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
data = card.data
results = [
    {
        "task": r.task_type, "dataset": r.dataset_type, "datasetName": r.dataset_name, "split": r.dataset_split,
        "metric": r.metric_type, "value": r.metric_value, "name": r.metric_name,
    }
    for r in (data.eval_results or [])
]
print(json.dumps({
    "license": data.license, "licenseName": data.to_dict().get("license_name"), "library": data.library_name,
    "pipeline": data.pipeline_tag, "tags": data.tags, "datasets": data.datasets, "modelName": data.model_name,
    "lineage": data.to_dict().get("learngene_lineage"), "results": results, "text": card.text,
}))
