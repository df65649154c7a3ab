"""The CIFAR ResNet of He et al. 2016 (sec. 4.2) in PyTorch, as skiplab's src/models/resnet-cifar.ts.

6n + 2 layers: a 3x3 conv to `width` channels, three stages of n basic blocks at width, 2 width
and 4 width channels (the first block of stages 2 and 3 has stride 2), global average pooling and
a linear layer. `skip` takes skiplab's values: 'identity' (option A: identity shortcuts,
zero-padded where a stage widens), 'projection' (option B: 1x1 convolution and BN there) or
'none' (the plain twin: the same layers without shortcuts).

The state-dict names are torchvision's, which skiplab's models and weight loaders use: conv1,
bn1, layer1..3.<block>.{conv1,bn1,conv2,bn2}, the projection as `downsample.0` and
`downsample.1`, fc. Option A's shortcut has no parameters, so it adds no key.

Every script that needs this net puts this folder first on sys.path and imports it:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), <up to scripts>, 'torch_models'))
    from cifar_resnet import ResNetCifar
"""

import torch.nn as nn
import torch.nn.functional as F

SKIPS = ('identity', 'projection', 'none')
INITS = ('pytorch', 'torchvision')


class ZeroPadShortcut(nn.Module):
    """Option A (sec. 3.3, 4.2), parameter-free: x[:, :, ::s, ::s], then zero channels appended
    after x's (x in channels 0..C_in-1), as skiplab's ZeroPadShortcut. Where the zeros go decides
    which of the next layer's weights see x, so it must match skiplab's (docs/fixture-weights.md)."""

    def __init__(self, out_channels, stride):
        super().__init__()
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x):
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - x.shape[1]))


def projection_shortcut(in_channels, out_channels, stride):
    """Option B (sec. 3.3, eq. 2): a 1x1 convolution (no bias) and BN, torchvision's `downsample`."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels))


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + downsample(x)); the plain twin drops the sum
    (downsample is None). `downsample` is the identity where the block keeps its input's shape."""

    def __init__(self, in_channels, planes, stride, skip):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        shape_changes = stride != 1 or in_channels != planes
        if skip == 'none':
            self.downsample = None
        elif not shape_changes:
            self.downsample = nn.Identity()
        elif skip == 'identity':
            self.downsample = ZeroPadShortcut(planes, stride)
        else:
            self.downsample = projection_shortcut(in_channels, planes, stride)

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.downsample is not None:
            out = out + self.downsample(x)
        return F.relu(out)


class ResNetCifar(nn.Module):
    """ResNetCifar(20), ResNetCifar(56, skip='none', width=8, in_channels=1, init='torchvision').

    init 'pytorch' keeps each layer's PyTorch default; 'torchvision' is skiplab's
    initLikeTorchvision: convolutions kaiming_normal_(fan_out, relu), BN gamma 1 and beta 0, the
    linear layer PyTorch's default.
    """

    def __init__(self, depth, skip='identity', width=16, in_channels=3, num_classes=10, init='pytorch'):
        super().__init__()
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(f'ResNetCifar: depth {depth} is not 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...)')
        if skip not in SKIPS:
            raise ValueError(f'ResNetCifar: skip {skip!r} is not one of {", ".join(SKIPS)}')
        if init not in INITS:
            raise ValueError(f'ResNetCifar: init {init!r} is not one of {", ".join(INITS)}')
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        channels = width
        stages = []
        for planes, stride in ((width, 1), (2 * width, 2), (4 * width, 2)):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(channels, planes, stride if i == 0 else 1, skip))
                channels = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(channels, num_classes)
        if init == 'torchvision':
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))  # (N, width, H, W)
        out = self.layer3(self.layer2(self.layer1(out)))  # (N, 4 width, H/4, W/4)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)  # (N, 4 width)
        return self.fc(out)  # (N, classes)

    def blocks(self):
        """The residual blocks in forward order with their module paths ('layer2.0'), as skiplab's blocks()."""
        return [(f'{stage}.{i}', block) for stage in ('layer1', 'layer2', 'layer3') for i, block in enumerate(getattr(self, stage))]
