"""Check once, with PyTorch, that `skiplab export --safetensors` loads into torchvision's resnet18.

Exports a seeded skiplab resnet18 (scripts/export-torchvision-sample.ts), loads the file with the
README's three lines (strict=True), and compares torchvision's eval logits with skiplab's on the
same input. Tests need no Python: they check the same key/shape condition against the committed
fixture test/fixtures/models/resnet18.json.

    PYTHONPATH=<dir with safetensors installed> /usr/bin/python3 scripts/check_torchvision_load.py
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import torchvision
from safetensors.torch import load_file

root = Path(__file__).resolve().parent.parent
with tempfile.TemporaryDirectory() as out:
    subprocess.run(['node', '--import', 'tsx', 'scripts/export-torchvision-sample.ts', out], cwd=root, check=True)

    # The README snippet.
    model = torchvision.models.resnet18()
    model.load_state_dict(load_file(f'{out}/resnet18.safetensors'), strict=True)
    model.eval()

    sample = load_file(f'{out}/sample.safetensors')
    with torch.no_grad():
        logits = model(sample['input'])
    expected = sample['logits']
    error = ((logits - expected).abs().max() / expected.abs().max()).item()
    print(json.dumps({'torch': torch.__version__, 'torchvision': torchvision.__version__,
                      'strict_load': 'ok', 'logits_shape': list(logits.shape), 'max_relative_error': error}))
    sys.exit(0 if error <= 1e-4 else 1)
