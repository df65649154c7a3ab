"""PyTorch reference for skiplab's standard paths experiment (Veit et al. 2016, sec. 4.2, Fig. 6).

Measures the gradient reaching the input per path length in the residual ResNet-56 of the lesion
calibration (width 8, the standard recipe), seed by seed: the net saved by
`lesion_standard.py --save-weights DIR` when DIR holds it, else trained here with the same recipe.
Each finished run is written to the output JSON at once (atomically); a rerun skips complete runs.

    nice -n 10 /usr/bin/python3 scripts/calibration/paths_standard.py --threads 1 --weights DIR \
        --out scripts/reference/paths-standard.torch.json

As skiplab's gradientByPathLength (src/analysis/paths.ts): for each path length k in 0..n, draw
`--samples-per-length` random sets of k of the n residual blocks, route the backward pass through
the branch of those and the shortcut of the others (the forward values unchanged: the other part
is detached), and measure each example's ||dL/dx0|| at the input of the first block, in evaluation
mode, with L the sum of the per-example cross-entropies on the first `--images` official test
images. He et al.'s BasicBlock adds, then applies its ReLU, as skiplab's `add-relu` junction:
out = relu(branch + shortcut.detach()) or relu(branch.detach() + shortcut), so the ReLU's mask
stays in every path.
"""

import hashlib
import math
import os
import sys
import time

# Before torch: standard_common pins OpenBLAS's threads to --threads, then imports torch.
from standard_common import PROGRAM, F, parameter_count, prepare, resume, run_missing, run_name, standard_net, standard_parser, torch, train_model

# skiplab's STANDARD_TEST_IMAGES: the twins' training recipe evaluates on the first 1000 test images.
STANDARD_TEST_IMAGES = 1000


def routed_logits(model, x, through_branch):
    """The model's logits with block b's junction routed through its branch when through_branch[b],
    else through its shortcut; returns them with x0, the first block's input, a leaf taking gradient."""
    x0 = F.relu(model.bn1(model.conv1(x))).detach().requires_grad_()
    out = x0
    for (_, block), branch_path in zip(model.blocks(), through_branch):
        branch = block.bn2(block.conv2(F.relu(block.bn1(block.conv1(out)))))
        shortcut = block.downsample(out)
        out = F.relu(branch + shortcut.detach() if branch_path else branch.detach() + shortcut)
    return model.fc(F.adaptive_avg_pool2d(out, 1).flatten(1)), x0


def effective_range(shares, coverage):
    """Smallest window [from, to] of lengths whose shares add up to at least `coverage` (skiplab's effectivePathRange)."""
    total = sum(shares)
    best = {'from': 0, 'to': len(shares) - 1, 'coverage': 1.0}
    for start in range(len(shares)):
        running = 0.0
        for end in range(start, len(shares)):
            running += shares[end]
            if running >= coverage * total - 1e-12:
                if end - start < best['to'] - best['from']:
                    best = {'from': start, 'to': end, 'coverage': running / total}
                break
    return best


def gradient_by_path_length(model, x, y, samples, coverage, seed):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    n = len(model.blocks())
    with torch.no_grad():
        plain_forward = model(x)
    if not torch.allclose(routed_logits(model, x, [True] * n)[0], plain_forward, atol=1e-4, rtol=1e-4):
        raise SystemExit(f'{PROGRAM}: the routed forward pass does not reproduce the model\'s logits')
    draw = torch.Generator().manual_seed(seed + 7)
    by_length = []
    for k in range(n + 1):
        norms = []
        for _ in range(samples):
            chosen = set(torch.randperm(n, generator=draw)[:k].tolist())
            logits, x0 = routed_logits(model, x, [b in chosen for b in range(n)])
            F.cross_entropy(logits, y, reduction='sum').backward()
            norms.extend(x0.grad.flatten(1).norm(dim=1).tolist())
        by_length.append({'length': k, 'gradientNorm': sum(norms) / len(norms), 'samples': samples})
    raw = [math.comb(n, g['length']) * g['gradientNorm'] for g in by_length]
    contribution = [{'length': k, 'share': v / sum(raw)} for k, v in enumerate(raw)]
    shares = [c['share'] for c in contribution]
    return {'blocks': n, 'gradientByLength': by_length, 'contribution': contribution,
            'effectiveRange': effective_range(shares, coverage),
            'gradientWeightedLength': sum(k * s for k, s in enumerate(shares)) / sum(shares)}


def trained_or_saved(args, data, depth, seed, on_epoch):
    """The residual net of `seed`: loaded from --weights when saved there, else trained (with its epochs)."""
    path = os.path.join(args.weights, f'{run_name(depth, "identity")}-seed-{seed}.pt') if args.weights else None
    if path and os.path.exists(path):
        model = standard_net(depth, 'identity', args.width)
        model.load_state_dict(torch.load(path, map_location='cpu'))
        weights = {'path': path, 'sha256': hashlib.sha256(open(path, 'rb').read()).hexdigest()}
        return model, [], weights, time.time()
    model, epochs, started = train_model(args, data, depth, 'identity', seed, on_epoch)
    return model, epochs, None, started


def paths_run(args, data, depth, seed, save):
    def on_epoch(epochs, seconds):
        save({'depth': depth, 'skip': 'identity', 'seed': seed, 'complete': False, 'seconds': seconds, 'epochs': epochs})

    model, epochs, weights, started = trained_or_saved(args, data, depth, seed, on_epoch)
    _, _, x_test, y_test = data
    measured = gradient_by_path_length(model, x_test[:args.images], y_test[:args.images], args.samples_per_length, args.coverage, seed)
    print(f'{run_name(depth, "identity")} seed {seed}: {measured["blocks"]} blocks, gradient-weighted mean path length '
          f'{measured["gradientWeightedLength"]:.2f}, effective range {measured["effectiveRange"]["from"]}-{measured["effectiveRange"]["to"]}', flush=True)
    return {'depth': depth, 'skip': 'identity', 'seed': seed, 'complete': True, 'parameters': parameter_count(model),
            'weights': weights, 'finalTrainError': epochs[-1]['trainError'] if epochs else None,
            'testImages': int(min(args.images, x_test.shape[0])), 'samplesPerLength': args.samples_per_length, **measured,
            'seconds': time.time() - started, 'epochs': epochs}


def main():
    parser = standard_parser(__doc__.split('\n')[0], depths='56')
    parser.add_argument('--weights', default='', help='the folder lesion_standard.py --save-weights wrote (resnet-56-seed-0.pt, ...)')
    parser.add_argument('--test-count', type=int, default=STANDARD_TEST_IMAGES, help='the test images the training recipe evaluates on')
    parser.add_argument('--images', type=int, default=128, help='measure on the first N official test images (skiplab: 128)')
    parser.add_argument('--samples-per-length', type=int, default=4)
    parser.add_argument('--coverage', type=float, default=0.9)
    args = parser.parse_args()
    data, data_record, recipe = prepare(args, test_count=args.test_count)
    result = resume(args, 'paths-standard', data_record, recipe)
    measurement = {'images': args.images, 'samplesPerLength': args.samples_per_length, 'coverage': args.coverage}
    if result.setdefault('measurement', measurement) != measurement:
        raise SystemExit(f'{PROGRAM}: {args.out} was measured with {result["measurement"]}; move it away or use another --out')
    keys = [(seed, depth, 'identity') for depth in (int(d) for d in args.depths.split(',')) for seed in (int(s) for s in args.seeds.split(','))]
    run_missing(args, result, keys, lambda key, save: paths_run(args, data, key[1], key[0], save))
    print(f'{PROGRAM}: {len(result["runs"])} runs in {args.out}')


if __name__ == '__main__':
    sys.exit(main())
