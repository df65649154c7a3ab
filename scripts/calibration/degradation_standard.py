"""PyTorch reference for skiplab's standard degradation tier (He et al. 2015, Fig. 6 / sec. 4.2).

The same nets as src/models/resnet-cifar.ts (CIFAR ResNet with option-A shortcuts and its plain
twin, torchvision's initialisation), the same recipe and the same official Fashion-MNIST files, one
run per (seed, depth, skip). Each finished run is written to the output JSON at once (atomically),
and a rerun skips runs already there, so the calibration can be stopped and resumed.

    nice -n 10 /usr/bin/python3 scripts/calibration/degradation_standard.py \
        --out scripts/reference/degradation-standard.torch.json

The recipe (scripts/reference/README.md explains the choice): SGD lr 0.1, momentum 0.9, weight
decay 1e-4 on every parameter, batch 128, the rate divided by 10 at 50 % and 75 % of the steps,
no augmentation, pixels normalised with the training split's mean and standard deviation.
"""

import sys
import time

# Before torch: standard_common pins OpenBLAS's threads to --threads, then imports torch.
from standard_common import parameter_count, prepare, resume, run_missing, standard_parser, train_model


def train_run(args, data, depth, skip, seed, save):
    def on_epoch(epochs, seconds):
        save({'depth': depth, 'skip': skip, 'seed': seed, 'complete': False, 'seconds': seconds, 'epochs': epochs})

    model, epochs, started = train_model(args, data, depth, skip, seed, on_epoch)
    final = epochs[-1]
    return {'depth': depth, 'skip': skip, 'seed': seed, 'complete': True, 'parameters': parameter_count(model),
            'final': {k: final[k] for k in ('trainLoss', 'trainError', 'testLoss', 'testError')},
            'seconds': time.time() - started, 'epochs': epochs}


def main():
    args = standard_parser(__doc__.split('\n')[0], depths='20,56').parse_args()
    data, data_record, recipe = prepare(args)
    result = resume(args, 'degradation-standard', data_record, recipe)
    # The plain nets first, seed by seed at both depths: a partial calibration then already answers
    # the degradation question (plain-56 against plain-20) with as many seeds as finished.
    keys = [(seed, depth, skip) for skip in ('none', 'identity')
            for seed in (int(s) for s in args.seeds.split(','))
            for depth in (int(d) for d in args.depths.split(','))]
    run_missing(args, result, keys, lambda key, save: train_run(args, data, key[1], key[2], key[0], save))
    print(f'degradation_standard: {len(result["runs"])} runs in {args.out}')


if __name__ == '__main__':
    sys.exit(main())
