"""PyTorch's side of the `tta` section of `npm run bench` (bench/time-to-accuracy.ts): train ResNet-20
on the official Fashion-MNIST idx files with the same recipe until the test accuracy reaches the
target, and print one JSON line {secondsToTarget, epochsToTarget, accuracies, seconds, dataSeconds}.
The clock starts before the files are read.

Usage: python3 bench/torch_tta.py '<recipe json>' (the TimeToAccuracyRecipe of time-to-accuracy.ts)
"""
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts', 'torch_models'))
from cifar_resnet import ResNetCifar  # noqa: E402  (the same model as the bench's other rows)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * d: 8 + 4 * d], "big") for d in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def learning_rate(r, step, total):
    if step < r["warmupSteps"]:
        return r["lr"] * (step + 1) / r["warmupSteps"]
    return 0.5 * r["lr"] * (1 + math.cos(math.pi * (step - r["warmupSteps"]) / max(1, total - r["warmupSteps"])))


def main():
    r = json.loads(sys.argv[1])
    start = time.perf_counter()
    torch.set_num_threads(r["threads"])
    torch.manual_seed(r["seed"])
    d = r["dataDir"]
    train_x = read_idx(f"{d}/train-images-idx3-ubyte.gz").astype(np.float32) / 255
    train_y = torch.from_numpy(read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    test_x = read_idx(f"{d}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255
    test_y = torch.from_numpy(read_idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    mean, std = float(train_x.mean()), float(train_x.std())
    # channels_last: PyTorch's fast CPU layout for convolutions (oneDNN's blocked kernels).
    train_x = torch.from_numpy((train_x - mean) / std).unsqueeze(1).contiguous(memory_format=torch.channels_last)
    test_x = torch.from_numpy((test_x - mean) / std).unsqueeze(1).contiguous(memory_format=torch.channels_last)
    data_seconds = time.perf_counter() - start

    model = ResNetCifar(20, in_channels=1).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=r["lr"], momentum=r["momentum"], weight_decay=r["weightDecay"])
    bf16 = r.get("precision") == "bf16"
    batch = r["batch"]
    count = train_x.shape[0]
    total = r["epochs"] * math.ceil(count / batch)
    generator = torch.Generator().manual_seed(r["seed"])
    result = {"secondsToTarget": None, "epochsToTarget": None, "accuracies": [], "seconds": [], "dataSeconds": data_seconds}
    step = 0
    for epoch in range(1, r["epochs"] + 1):
        model.train()
        order = torch.randperm(count, generator=generator)
        for begin in range(0, count, batch):
            index = order[begin:begin + batch]
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(r, step, total)
            step += 1
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(model(train_x[index]), train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for begin in range(0, test_x.shape[0], 1000):
                correct += int((model(test_x[begin:begin + 1000]).argmax(1) == test_y[begin:begin + 1000]).sum())
        accuracy = correct / test_x.shape[0]
        elapsed = time.perf_counter() - start
        result["accuracies"].append(accuracy)
        result["seconds"].append(elapsed)
        print(f"  torch epoch {epoch}: test accuracy {100 * accuracy:.2f} % at {elapsed:.0f} s", file=sys.stderr, flush=True)
        if accuracy >= r["target"]:
            result["secondsToTarget"] = elapsed
            result["epochsToTarget"] = epoch
            break
    print(json.dumps(result))


if __name__ == "__main__":
    main()
