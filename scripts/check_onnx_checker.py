"""Run the official ONNX checker (full check, with strict shape inference) on every zoo export.

    /usr/bin/python3 scripts/check_onnx_checker.py     # needs Debian's python3-onnx (1.12+)

Exports the zoo with scripts/export-onnx-zoo.ts, then for each file checks the model, infers
shapes strictly and compares the inferred output shape with the declared one (symbolic batch).
Tests need no Python: test/io/onnx/export.test.ts checks opset, signature and topological order.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import onnx

root = Path(__file__).resolve().parent.parent
failures = 0
with tempfile.TemporaryDirectory() as out:
    subprocess.run(['node', '--import', 'tsx', 'scripts/export-onnx-zoo.ts', out], cwd=root, check=True, stdout=subprocess.DEVNULL)
    for path in sorted(Path(out).glob('*.onnx')):
        model = onnx.load(str(path))
        try:
            onnx.checker.check_model(model, full_check=True)
            inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
            dims = [d.dim_param or d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
            print(json.dumps({'model': path.stem, 'opset': model.opset_import[0].version, 'ir': model.ir_version, 'output': dims, 'checker': 'ok'}))
        except Exception as error:  # report every model, then fail
            failures += 1
            print(json.dumps({'model': path.stem, 'checker': str(error)[:300]}))
sys.exit(1 if failures else 0)
