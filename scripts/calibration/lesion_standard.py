"""PyTorch reference for skiplab's standard lesion experiment (Veit et al. 2016, sec. 4, Fig. 3).

Trains the same nets as scripts/calibration/degradation_standard.py (CIFAR ResNet-56 with option-A
shortcuts and its plain twin, width 8) with the same recipe, official data and seeds, then deletes
each single shape-keeping block at test time and measures the test error on the first 1000 official
test images (skiplab's STANDARD_TEST_IMAGES) in evaluation mode. Each finished run is written to the
output JSON at once (atomically), and a rerun skips runs already complete.

    nice -n 10 /usr/bin/python3 scripts/calibration/lesion_standard.py --threads 1 \
        --out scripts/reference/lesion-standard.torch.json

Deleting a block mirrors skiplab's withoutBranch (src/blocks/skip-block.ts): a residual block's
output becomes relu(shortcut(x)), its branch removed (its junction adds, then applies the ReLU); a
plain block is bypassed, y = x. Only blocks whose output keeps their input's shape are deleted; the
downsampling blocks (layer2.0, layer3.0) are excluded, as Veit et al. exclude them (sec. 4.1).
"""

import os
import sys
import time

# Before torch: standard_common pins OpenBLAS's threads to --threads, then imports torch.
from standard_common import F, evaluate, parameter_count, prepare, resume, run_missing, run_name, save_state, standard_parser, torch, train_model

# skiplab's STANDARD_TEST_IMAGES (src/experiments/analysis/settings.ts).
STANDARD_TEST_IMAGES = 1000


def shape_keeping_blocks(model, probe):
    """The paths of the blocks whose output has their input's shape, found by one evaluation pass (as skiplab's lesionableBlocks)."""
    keeps = {}
    hooks = [block.register_forward_hook(lambda _m, inputs, output, path=path: keeps.__setitem__(path, inputs[0].shape == output.shape))
             for path, block in model.blocks()]
    model.eval()
    try:
        with torch.no_grad():
            model(probe)
    finally:
        for hook in hooks:
            hook.remove()
    return [path for path, _ in model.blocks() if keeps[path]]


def deleted_output(block):
    """The block's output with its branch removed: relu(shortcut(x)) for a residual block, x for a plain one."""
    def hook(_module, inputs, output):
        x = inputs[0]
        out = F.relu(block.downsample(x)) if block.downsample is not None else x
        if out.shape != output.shape:
            raise SystemExit(f'lesion_standard: deleting a block would change its output shape {tuple(output.shape)} -> {tuple(out.shape)}')
        return out
    return hook


def error_without(model, path, x, y):
    """Test error (evaluation mode) with the block at `path` deleted; the model is left unchanged."""
    block = dict(model.blocks())[path]
    hook = block.register_forward_hook(deleted_output(block))
    try:
        return evaluate(model, x, y)[1]
    finally:
        hook.remove()


def lesion_run(args, data, depth, skip, seed, save):
    def on_epoch(epochs, seconds):
        save({'depth': depth, 'skip': skip, 'seed': seed, 'complete': False, 'seconds': seconds, 'epochs': epochs})

    model, epochs, started = train_model(args, data, depth, skip, seed, on_epoch)
    if args.save_weights:
        save_state(model, os.path.join(args.save_weights, f'{run_name(depth, skip)}-seed-{seed}.pt'))
    _, _, x_test, y_test = data
    baseline = evaluate(model, x_test, y_test)[1]
    chosen = shape_keeping_blocks(model, x_test[:2])
    single = [{'block': path, 'error': error_without(model, path, x_test, y_test)} for path in chosen]
    excluded = [path for path, _ in model.blocks() if path not in chosen]
    increase = sum(s['error'] for s in single) / len(single) - baseline
    print(f'{run_name(depth, skip)} seed {seed}: baseline test error {100 * baseline:.2f} %, '
          f'mean single-deletion increase {100 * increase:.2f} points over {len(single)} blocks', flush=True)
    return {'depth': depth, 'skip': skip, 'seed': seed, 'complete': True, 'parameters': parameter_count(model),
            'testImages': int(x_test.shape[0]), 'baseline': baseline, 'single': single, 'excluded': excluded,
            'seconds': time.time() - started, 'epochs': epochs}


def main():
    parser = standard_parser(__doc__.split('\n')[0], depths='56')
    parser.add_argument('--test-count', type=int, default=STANDARD_TEST_IMAGES, help='evaluate on the first N official test images')
    parser.add_argument('--save-weights', default='', help='a folder to keep each trained net in (state_dict, e.g. for paths_standard.py)')
    args = parser.parse_args()
    data, data_record, recipe = prepare(args, test_count=args.test_count)
    result = resume(args, 'lesion-standard', data_record, recipe)
    # The residual nets first, seed by seed, then their plain twins.
    keys = [(seed, depth, skip) for skip in ('identity', 'none')
            for depth in (int(d) for d in args.depths.split(','))
            for seed in (int(s) for s in args.seeds.split(','))]
    run_missing(args, result, keys, lambda key, save: lesion_run(args, data, key[1], key[2], key[0], save))
    print(f'lesion_standard: {len(result["runs"])} runs in {args.out}')


if __name__ == '__main__':
    sys.exit(main())
