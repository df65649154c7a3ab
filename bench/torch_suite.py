"""PyTorch twins of the rows of `npm run bench` (bench/run.ts), for the ours/PyTorch ratios.

Usage: python3 bench/torch_suite.py '<json>' where the JSON is {"threads": n, "rows": [...]}
as written by bench/run.ts, each row carrying its "repeats" and "minSeconds". Prints one JSON
object {"results": {id: seconds}}: per row the median time of at least `repeats` runs after one
warm-up run, more until `minSeconds` are timed (wall clock, or with "clock": "cpu" process CPU
time / threads), at `threads` intra-op threads.
Shapes, models and the training step (forward, cross-entropy, backward, SGD with momentum)
match bench/run.ts row for row.

With {"mode": "memory", "model": "resnet56", "batch": 128, "steps": 3, "threads": n, "scoped": bool} it is the
PyTorch side of the `memory` section (bench/memory-suite.ts, the twin of bench/memory-child.ts):
it runs `steps` training steps in this fresh process and prints the resident memory right after
`import torch` and the peak (getrusage's ru_maxrss), in MB.
"""
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts', 'torch_models'))
from cifar_resnet import ResNetCifar  # noqa: E402  (He et al.'s CIFAR ResNet with option A, as skiplab's)


def median_seconds(fn, repeats, clock="wall", threads=1, min_seconds=0.0):
    """Median of at least `repeats` runs after a warm-up, and of as many more (up to 1000) as it
    takes to have timed `min_seconds`; clock 'cpu' is process CPU time / threads."""
    now = time.perf_counter if clock == "wall" else (lambda: time.process_time() / threads)
    fn()  # warm-up: allocator, oneDNN primitive caches
    times = []
    while len(times) < repeats or (sum(times) < min_seconds and len(times) < 1000):
        start = now()
        fn()
        times.append(now() - start)
    return statistics.median(times)


# ---- models (the same architectures as src/models; the CIFAR ResNet is scripts/torch_models) ----
class DenseNetBC(nn.Module):
    """Huang et al. 2017, DenseNet-BC for CIFAR (k = 12, θ = 0.5)."""

    def __init__(self, depth=40, k=12):
        super().__init__()
        n = (depth - 4) // 6
        channels = 2 * k
        self.conv1 = nn.Conv2d(3, channels, 3, 1, 1, bias=False)
        blocks = []
        for b in range(3):
            layers = nn.ModuleList()
            for _ in range(n):
                layers.append(nn.Sequential(
                    nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, 4 * k, 1, bias=False),
                    nn.BatchNorm2d(4 * k), nn.ReLU(), nn.Conv2d(4 * k, k, 3, 1, 1, bias=False)))
                channels += k
            blocks.append(layers)
            if b < 2:
                out = channels // 2
                blocks.append(nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, out, 1, bias=False), nn.AvgPool2d(2)))
                channels = out
        self.blocks = nn.ModuleList(blocks)
        self.bn = nn.BatchNorm2d(channels)
        self.fc = nn.Linear(channels, 10)

    def forward(self, x):
        x = self.conv1(x)
        for block in self.blocks:
            if isinstance(block, nn.ModuleList):
                for layer in block:
                    x = torch.cat([x, layer(x)], 1)
            else:
                x = block(x)
        x = F.relu(self.bn(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def double_conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNetLevel(nn.Module):
    def __init__(self, cin, width, inner, inner_channels):
        super().__init__()
        self.encode, self.inner = double_conv(cin, width), inner
        self.up = nn.ConvTranspose2d(inner_channels, width, 2, 2)
        self.decode = double_conv(2 * width, width)

    def forward(self, x):
        skip = self.encode(x)
        return self.decode(torch.cat([skip, self.up(self.inner(F.max_pool2d(skip, 2)))], 1))


class UNet(nn.Module):
    """Ronneberger et al. 2015 with BN, `levels` levels of base width `width`."""

    def __init__(self, levels=4, width=16, cin=1, classes=2):
        super().__init__()
        widths = [width * 2 ** i for i in range(levels + 1)]
        inner, inner_channels = double_conv(widths[levels - 1], widths[levels]), widths[levels]
        for d in range(levels - 1, -1, -1):
            inner = UNetLevel(cin if d == 0 else widths[d - 1], widths[d], inner, inner_channels)
            inner_channels = widths[d]
        self.level, self.head = inner, nn.Conv2d(width, classes, 1)

    def forward(self, x):
        return self.head(self.level(x))


def build(row):
    name = row["model"]
    if name in ("resnet20", "resnet56"):
        return ResNetCifar(int(name[6:]))
    if name == "plain20":
        return ResNetCifar(20, skip="none")
    if name == "densenet_bc_40":
        return DenseNetBC(40)
    if name == "unet":
        return UNet(4, 16)
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    raise ValueError(f"torch_suite: unknown model {name}")


def fast_layout(model, x):
    """channels_last for image models: PyTorch's fast CPU layout for convolutions (oneDNN's blocked
    kernels; on this Debian build about 2.4× NCHW for a ResNet-20 step). A user chasing speed sets
    it, so that is the PyTorch we compare with."""
    if x.dim() != 4:
        return model, x
    return model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)


def model_step(row):
    torch.manual_seed(0)
    model = build(row)
    x = torch.randn(*row["input"])
    model, x = fast_layout(model, x)
    classes = 2 if row["model"] == "unet" else 10
    label_shape = (row["input"][0], *row["input"][2:]) if row["model"] == "unet" else (row["input"][0],)
    labels = torch.randint(0, classes, label_shape)
    if row.get("eval"):
        model.eval()

        def infer():
            with torch.no_grad():
                model(x)
        return infer
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    # bf16 rows: PyTorch's own mixed precision, autocast over forward and loss (its documented use).
    bf16 = row.get("precision") == "bf16"

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def conv_case(row):
    n, c, h, w, o, k, stride, pad = (row[key] for key in ("n", "c", "h", "w", "o", "k", "stride", "padding"))
    # channels_last, as fast_layout: PyTorch's fast layout for convolutions on CPU.
    x = torch.randn(n, c, h, w).contiguous(memory_format=torch.channels_last).requires_grad_()
    weight = torch.randn(o, c, k, k).contiguous(memory_format=torch.channels_last).requires_grad_()
    y = F.conv2d(x, weight, None, stride, pad)
    dy = torch.randn_like(y).contiguous(memory_format=torch.channels_last)
    if row["direction"] == "forward":
        return lambda: F.conv2d(x.detach(), weight.detach(), None, stride, pad)
    if row["direction"] == "backwardInput":
        return lambda: torch.nn.grad.conv2d_input(x.shape, weight.detach(), dy, stride, pad)
    return lambda: torch.nn.grad.conv2d_weight(x.detach(), weight.shape, dy, stride, pad)


def resident_mb():
    """VmRSS and VmHWM of this process from /proc/self/status, in MB (Linux)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def memory_run(config):
    """Peak resident memory of a few training steps; the baseline is the process after import torch."""
    baseline, _ = resident_mb()
    row = {"model": config["model"], "input": [config["batch"], 3, 32, 32]}
    torch.manual_seed(0)
    model = build(row)
    x = torch.randn(*row["input"])
    model, x = fast_layout(model, x)
    labels = torch.randint(0, 10, (config["batch"],))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    after_build, _ = resident_mb()
    saved = []
    step_seconds = []

    def train_step():
        start = time.perf_counter()
        if config.get("probe"):
            # What autograd keeps for backward: distinct storages packed by the saved-tensor hooks.
            storages = {}

            def pack(t):
                storage = t.storage()
                storages[storage.data_ptr()] = storage.nbytes()
                return t
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                loss = F.cross_entropy(model(x), labels)
            saved.append(sum(storages.values()) / 2**20)
        else:
            loss = F.cross_entropy(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step_seconds.append(time.perf_counter() - start)
        return loss

    # As in bench/memory-child.ts: by default the loop keeps the last loss until the next step
    # has run (the usual `loss = ...` loop); "scoped" drops it when the step is over.
    last_loss = None
    for _ in range(config["steps"]):
        if config.get("scoped"):
            train_step()
        else:
            last_loss = train_step()
    del last_loss
    end, hwm = resident_mb()
    result = {
        "runtime": f"torch {torch.__version__}", "threads": torch.get_num_threads(), "model": config["model"],
        "parameters": sum(p.numel() for p in model.parameters()), "batch": config["batch"], "steps": config["steps"],
        "stepSeconds": step_seconds, "baselineRssMB": baseline, "afterBuildRssMB": after_build, "endRssMB": end,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "vmHwmMB": hwm,
    }
    if config.get("probe"):
        result["savedTensorsMB"] = saved
    print(json.dumps(result))


def main():
    config = json.loads(sys.argv[1])
    torch.set_num_threads(config["threads"])
    if config.get("mode") == "memory":
        memory_run(config)
        return
    results = {}
    for row in config["rows"]:
        if row["kind"] == "gemm":
            s = row["size"]
            a, b = torch.randn(s, s), torch.randn(s, s)
            fn = lambda a=a, b=b: torch.mm(a, b)
        elif row["kind"] == "conv":
            fn = conv_case(row)
        else:
            fn = model_step(row)
        results[row["id"]] = median_seconds(fn, row["repeats"], config.get("clock", "wall"), config["threads"], row.get("minSeconds", 0.0))
    print(json.dumps({"results": results, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
