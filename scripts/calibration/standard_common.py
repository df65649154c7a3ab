"""What skiplab's standard-tier PyTorch calibrations share: the pinned BLAS threads, the official
Fashion-MNIST files, the nets of src/models/resnet-cifar.ts (scripts/torch_models/cifar_resnet.py,
built as the standard tier builds them), the recipe, its training loop, and resumable atomic output.

Import this module before torch: it pins OpenBLAS's threads to the script's `--threads` first.
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import platform
import struct
import sys
import tempfile
import time

import numpy as np

# Error messages name the script that was run (degradation_standard, lesion_standard).
PROGRAM = os.path.splitext(os.path.basename(sys.argv[0]))[0] or 'standard_common'


def _threads_argument(argv, default=2):
    for i, arg in enumerate(argv):
        if arg == '--threads' and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith('--threads='):
            return arg.split('=', 1)[1]
    return str(default)


# Debian's python3-torch does its matrix products in the system BLAS; OpenBLAS keeps a thread pool
# of its own that torch.set_num_threads does not reach, so pin it before torch loads it.
for _variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_variable, _threads_argument(sys.argv))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'torch_models'))
from cifar_resnet import ResNetCifar  # noqa: E402

IDX_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}


def find_file(data_dir, stem):
    for name in (stem + '.gz', stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f'{PROGRAM}: {stem}[.gz] is missing in {data_dir}')


def read_idx(path):
    raw = open(path, 'rb').read()
    digest = hashlib.sha256(raw).hexdigest()
    data = gzip.decompress(raw) if raw[:2] == b'\x1f\x8b' else raw
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SystemExit(f'{PROGRAM}: {path} is not an unsigned-byte idx file')
    rank = data[3]
    shape = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if values.size != int(np.prod(shape)):
        raise SystemExit(f'{PROGRAM}: {path} holds {values.size} values for shape {shape}')
    return values.reshape(shape), digest


def load_split(data_dir, split):
    images_path, labels_path = (find_file(data_dir, stem) for stem in IDX_FILES[split])
    images, images_hash = read_idx(images_path)
    labels, labels_hash = read_idx(labels_path)
    files = [{'path': images_path, 'sha256': images_hash}, {'path': labels_path, 'sha256': labels_hash}]
    return images, labels, files


def step_rate(lr, step, total_steps, warmup_steps):
    """lr / 10 at 50 % and 75 % of the steps (skiplab's 'step' schedule), after a linear warm-up
    from 0.1 lr (skiplab's linearWarmup)."""
    milestones = (round(total_steps * 0.5), round(total_steps * 0.75))
    rate = lr * 0.1 ** sum(step >= m for m in milestones)
    if step < warmup_steps:
        rate *= 0.1 + 0.9 * step / warmup_steps
    return rate


def evaluate(model, x, y, batch_size=500):
    model.eval()
    loss_sum, wrong = 0.0, 0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            out = model(x[start:start + batch_size])
            target = y[start:start + batch_size]
            loss_sum += F.cross_entropy(out, target, reduction='sum').item()
            wrong += (out.argmax(1) != target).sum().item()
    return loss_sum / x.shape[0], wrong / x.shape[0]


def run_name(depth, skip):
    return f'{"plain" if skip == "none" else "resnet"}-{depth}'


def standard_net(depth, skip, width):
    """The twin skiplab's standard tier builds: Fashion-MNIST's one input channel, skip 'identity'
    (option A) or 'none', initialised as its initLikeTorchvision, in the channels_last layout:
    it sends the convolutions to oneDNN's blocked kernels, the same arithmetic about 2.4x faster
    than NCHW on this Debian build (measured on ResNet-20, width 8, batch 128)."""
    net = ResNetCifar(depth, skip, width, in_channels=1, init='torchvision')
    return net.to(memory_format=torch.channels_last)


def train_model(args, data, depth, skip, seed, on_epoch):
    """Train one net with the recipe; on_epoch gets the epochs so far after each. Returns the
    trained model, its epoch records and the start time."""
    torch.manual_seed(seed)
    model = standard_net(depth, skip, args.width)
    x_train, y_train, x_test, y_test = data
    count = x_train.shape[0]
    steps_per_epoch = math.ceil(count / args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    warmup_steps = round(args.warmup_epochs * steps_per_epoch)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    shuffle = torch.Generator().manual_seed(seed)
    epochs = []
    step = 0
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        loss_sum, wrong = 0.0, 0
        order = torch.randperm(count, generator=shuffle)
        for start in range(0, count, args.batch_size):
            rate = step_rate(args.lr, step, total_steps, warmup_steps)
            for group in optimizer.param_groups:
                group['lr'] = rate
            index = order[start:start + args.batch_size]
            out = model(x_train[index])
            loss = F.cross_entropy(out, y_train[index])
            if not math.isfinite(loss.item()):
                raise SystemExit(f'{skip}-{depth} seed {seed}: loss {loss.item()} at step {step}')
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            loss_sum += loss.item() * index.shape[0]
            wrong += (out.argmax(1) != y_train[index]).sum().item()
        test_loss, test_error = evaluate(model, x_test, y_test)
        record = {'epoch': epoch + 1, 'step': step, 'lr': rate, 'trainLoss': loss_sum / count, 'trainError': wrong / count,
                  'testLoss': test_loss, 'testError': test_error, 'seconds': time.time() - started}
        epochs.append(record)
        on_epoch(epochs, time.time() - started)
        print(f'{run_name(depth, skip)} seed {seed} epoch {epoch + 1}/{args.epochs}: '
              f'train error {100 * record["trainError"]:.2f} %, test error {100 * test_error:.2f} % ({record["seconds"]:.0f} s)', flush=True)
    return model, epochs, started


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def write_atomic(path, value):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path), suffix='.tmp')
    with os.fdopen(fd, 'w') as f:
        json.dump(value, f, indent=1)
        f.write('\n')
    os.replace(temporary, path)


def save_state(model, path):
    """Keep a trained net's state_dict at `path`, written atomically (temp file, then rename)."""
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or '.', suffix='.tmp')
    os.close(handle)
    torch.save(model.state_dict(), temporary)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def standard_parser(description, depths):
    """The command line both calibrations share; `depths` is the default of --depths."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--data-dir', default=os.environ.get('SKIPLAB_DATA', '/usr/share/datasets/fashion-mnist'))
    parser.add_argument('--out', required=True)
    parser.add_argument('--depths', default=depths)
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--width', type=int, default=8)
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--warmup-epochs', type=float, default=0)
    parser.add_argument('--train-count', type=int, default=0, help='use the first N training images (0: all); for smoke tests')
    parser.add_argument('--threads', type=int, default=2)
    return parser


def prepare(args, test_count=0):
    """The tensors (x_train, y_train, x_test, y_test), the data record and the recipe. `test_count`
    keeps the first N official test images (0: all)."""
    torch.set_num_threads(args.threads)
    train_images, train_labels, train_files = load_split(args.data_dir, 'train')
    test_images, test_labels, test_files = load_split(args.data_dir, 'test')
    # Normalise with the full training split's statistics of pixels in [0, 1] (as skiplab's prepareRun).
    scaled = train_images.astype(np.float64) / 255
    mean, std = float(scaled.mean()), float(scaled.std())
    if args.train_count:
        train_images, train_labels = train_images[:args.train_count], train_labels[:args.train_count]
    if test_count:
        test_images, test_labels = test_images[:test_count], test_labels[:test_count]
    to_tensor = lambda images: torch.from_numpy(((images.astype(np.float32) / 255 - mean) / std).astype(np.float32)).unsqueeze(1).contiguous(memory_format=torch.channels_last)
    data = (to_tensor(train_images), torch.from_numpy(train_labels.astype(np.int64)),
            to_tensor(test_images), torch.from_numpy(test_labels.astype(np.int64)))
    recipe = {'model': 'resnet_cifar', 'shortcut': 'A', 'baseWidth': args.width, 'epochs': args.epochs, 'batchSize': args.batch_size,
              'optimizer': 'sgd', 'lr': args.lr, 'momentum': 0.9, 'weightDecay': 1e-4, 'schedule': 'step (/10 at 50 % and 75 % of the steps)',
              'warmupEpochs': args.warmup_epochs, 'augment': 'none', 'trainCount': int(train_images.shape[0]), 'testCount': int(test_images.shape[0]),
              'normalize': {'mean': mean, 'std': std}}
    return data, {'kind': 'official', 'name': 'fashion-mnist', 'files': train_files + test_files}, recipe


def resume(args, experiment, data_record, recipe):
    """The calibration in args.out (refused when of another recipe), else a new one; runs cut short
    keep their finished epochs, marked incomplete, and are trained again from the start."""
    existing = json.load(open(args.out)) if os.path.exists(args.out) else None
    if existing and existing.get('recipe') != recipe:
        raise SystemExit(f'{PROGRAM}: {args.out} holds runs of another recipe; move it away or use another --out')
    result = existing or {
        'experiment': experiment, 'framework': f'pytorch {torch.__version__}',
        'host': {'python': platform.python_version(), 'threads': args.threads, 'machine': platform.machine()},
        'data': data_record, 'recipe': recipe, 'runs': [],
    }
    result['runs'] = [r for r in result['runs'] if r.get('complete', True) or r['epochs']]
    return result


def run_missing(args, result, keys, run):
    """Run `run(key, save)` for each (seed, depth, skip) in `keys` that has no complete run yet;
    `save(record)` puts the record in place of the key's old one and writes the file atomically."""
    done = {(r['seed'], r['depth'], r['skip']) for r in result['runs'] if r.get('complete', True)}
    for key in keys:
        if key in done:
            continue
        others = [r for r in result['runs'] if (r['seed'], r['depth'], r['skip']) != key]

        def save(record, others=others):
            result['runs'] = others + [record]
            write_atomic(args.out, result)

        save(run(key, save))
