"""Issue 28: `lgreg verify --junit FILE` read back by an outside JUnit parser (junitparser, from PyPI), for a whole
run, for the shards of a CI matrix and for their merge; and the CI workflow examples parse as YAML.

The store holds the runtime's `fmnist-shape` fixture (a 2-block model timm gets 107 of the first 1,000 Fashion-MNIST
test images right with) packed as a learngene whose manifest declares: the right figure (10.70%, a pass), a wrong one
(10.90%, a failure carrying both numbers), a tuned result (skipped), and a result on an eval set whose name is XML
markup with control characters (cannot be verified: an error, its name intact after parsing).

    LGREG_BIN=.build/release/lgreg python -m pytest Tests/PyTorch/test_verify_junit.py
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml
from junitparser import Error, Failure, JUnitXml, Skipped

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "Tests" / "LgregRuntimeTests" / "Fixtures" / "fmnist-shape.model.safetensors"
HOSTILE = "</testcase><x a=\"&'\u0001]]>"


def lgreg(*arguments, home, ok=(0,)):
    binary = os.environ.get("LGREG_BIN", str(ROOT / ".build" / "release" / "lgreg"))
    result = subprocess.run([binary, *map(str, arguments)], capture_output=True, text=True,
                            env={**os.environ, "LGREG_HOME": str(home)})
    assert result.returncode in ok, f"lgreg {' '.join(map(str, arguments))}: {result.returncode} {result.stderr}"
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("junit")
    eval_set = folder / "fmnist-1000.safetensors"
    subprocess.run([sys.executable, str(ROOT / "Examples" / "make_eval_set.py"), str(eval_set), "1000"], check=True,
                   capture_output=True)
    results = [
        {"depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": str(eval_set), "top1": 0.107},
        {"depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": str(eval_set), "top1": 0.109},
        {"depth": 2, "strategy": "imwlm", "tunedEpochs": 4, "evalSet": str(eval_set), "top1": 0.5},
        {"depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": HOSTILE, "top1": 0.1},
    ]
    template = {
        "schemaVersion": 1, "name": "claims", "version": "1", "license": "MIT", "kind": "plain",
        "description": "<script>alert('x')</script> & ]]>",
        "architecture": {"imageSize": 28, "patchSize": 4, "inChannels": 1, "width": 32, "heads": 2, "mlpRatio": 4,
                         "classes": 10, "classToken": False, "pooling": "avg-norm-first", "layerNormEps": 1e-6,
                         "qkvBias": True},
        "schedule": [1, 1], "dtype": "F32", "provenance": {"trained": False, "toolVersion": "timm"},
        "results": results,
    }
    (folder / "claims.json").write_text(json.dumps(template))
    home = folder / "store"
    lgreg("pack", MODEL, "--manifest", folder / "claims.json", "-o", folder / "claims.lgz", home=home)
    lgreg("publish", folder / "claims.lgz", home=home)
    return folder, home


def cases(xml):
    return {(suite.name, case.name): case for suite in xml for case in suite}


def test_junit_counts_failures_errors_and_skips(store):
    folder, home = store
    junit = folder / "all.xml"
    lgreg("verify", "--all", "--junit", junit, home=home, ok=(1,))  # 1: the wrong claim is a mismatch
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (7, 1, 1, 1)
    [suite] = list(xml)
    assert suite.name == "claims:1" and (suite.tests, suite.failures, suite.errors, suite.skipped) == (7, 1, 1, 1)
    assert suite.time >= 0
    found = cases(xml)
    assert {name for _, name in found} >= {"blobs", "manifest", "parameters"}
    failed = [case for case in found.values() if any(isinstance(r, Failure) for r in case.result)]
    assert len(failed) == 1
    [failure] = failed[0].result
    assert failure.message == "declared 10.90%, measured 10.70%" and failure.type == "mismatch"
    assert "(107/1000)" in failure.text
    passed = [case for case in found.values() if case.is_passed and case.name.startswith("result")]
    assert len(passed) == 1 and "declared 10.70%, measured 10.70% (107/1000)" in passed[0].system_out
    skipped = [case for case in found.values() if any(isinstance(r, Skipped) for r in case.result)]
    assert len(skipped) == 1 and "tuned for 4 epochs" in skipped[0].result[0].message
    errors = [case for case in found.values() if any(isinstance(r, Error) for r in case.result)]
    assert len(errors) == 1
    # The hostile eval set's name survives as text: markup escaped, control characters replaced (XML 1.0 cannot
    # hold them), nothing else of it lost.
    expected = HOSTILE.replace("\u0001", "\ufffd")
    assert errors[0].name == f"result depth 2 imwlm on {expected}"
    assert errors[0].result[0].type == "cannot-verify" and expected in errors[0].result[0].message


def test_shards_junit_add_up_to_the_merged_one(store):
    folder, home = store
    reports = []
    totals = [0, 0, 0, 0]
    for k in (1, 2):
        report = lgreg("verify", "--all", "--shard", f"{k}/2", "--json", "--junit", folder / f"s{k}.xml",
                       home=home, ok=(0, 1, 2))
        (folder / f"s{k}.json").write_text(report.stdout)
        reports.append(folder / f"s{k}.json")
        xml = JUnitXml.fromfile(str(folder / f"s{k}.xml"))
        totals = [a + b for a, b in zip(totals, (xml.tests, xml.failures, xml.errors, xml.skipped))]
    assert totals == [7, 1, 1, 1], "each check in exactly one shard's file"
    lgreg("verify", "--merge", *reports, "--junit", folder / "merged.xml", home=home, ok=(1,))
    merged = JUnitXml.fromfile(str(folder / "merged.xml"))
    assert (merged.tests, merged.failures, merged.errors, merged.skipped) == (7, 1, 1, 1)
    lgreg("verify", "--all", "--junit", folder / "whole.xml", home=home, ok=(1,))
    whole = JUnitXml.fromfile(str(folder / "whole.xml"))
    assert sorted(cases(merged)) == sorted(cases(whole))
    for key, case in cases(whole).items():
        assert [(type(r), r.message) for r in cases(merged)[key].result] == [(type(r), r.message) for r in case.result]


def test_ci_workflow_examples_parse():
    workflows = sorted((ROOT / "Examples" / "ci").glob("*.yml"))
    assert len(workflows) >= 3
    for path in workflows:
        document = yaml.safe_load(path.read_text())
        assert document["jobs"] and (document.get("on") or document.get(True)), path
        for name, job in document["jobs"].items():
            assert job["steps"] and job["runs-on"], f"{path.name}: {name}"
    matrix = yaml.safe_load((ROOT / "Examples" / "ci" / "verify-matrix.yml").read_text())
    shards = matrix["jobs"]["verify"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    verify = "\n".join(step.get("run", "") for step in matrix["jobs"]["verify"]["steps"])
    assert "--shard \"${{ matrix.shard }}/${{ strategy.job-total }}\"" in verify and "--junit" in verify
    assert "lgreg\" pull" in verify
    merge = matrix["jobs"]["merge"]
    assert merge["needs"] == "verify" and merge["if"] == "always()"
    assert any("verify --merge shards/verify-*.json" in step.get("run", "") for step in merge["steps"])
    uploads = [step for step in matrix["jobs"]["verify"]["steps"] if step.get("uses", "").startswith(
        "actions/upload-artifact")]
    assert uploads and "verify-${{ matrix.shard }}.xml" in uploads[0]["with"]["path"]
