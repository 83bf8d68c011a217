"""PyTorch's own ONNX export of a NAS-Bench-201 network, with LatencyNas's weights.

The reference for `latnas bench export-vs-pytorch`: the network is built as the NAS-Bench-201
code builds it (TinyNetwork with InferCells: stem, 3 stages of 5 cells with 16/32/64 channels,
stride-2 ResNet basic blocks, BN-ReLU, global pooling, linear; cell edges none / skip /
ReLU-Conv-BN 1x1 / ReLU-Conv-BN 3x3 / avgpool 3x3, each node the Python `sum` of its edges,
`none` computed as x.mul(0.)); its parameters and BatchNorm statistics are copied from the
initializers of LatencyNas's export of the same architecture (same module paths), so both files
compute the same function. It is then exported by `torch.onnx.export` with its defaults (eval
mode, constant folding) at opset 17.

Usage: /usr/bin/python3 pytorch_export.py JOBS
  JOBS: a text file, one job a line: ops digits (e.g. 121212), our .onnx, the .onnx to write,
  separated by tabs. Dataset (resolution, classes) and batch come from our file's input and
  output shapes. Needs Debian's python3-torch and python3-onnx.
"""
import sys
from collections import OrderedDict

import onnx
import onnx.numpy_helper
import torch
from torch import nn

EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]  # edge e: (from node, to node)
STAGE_CHANNELS = [16, 32, 64]
CELLS_PER_STAGE = 5


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def relu_conv_bn(c_in, c_out, kernel, stride):
    return nn.Sequential(OrderedDict(
        relu=nn.ReLU(inplace=False),
        conv=nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=(kernel - 1) // 2, bias=False),
        bn=nn.BatchNorm2d(c_out),
    ))


def edge_op(digit, channels):
    return [
        lambda: Zero(),
        lambda: nn.Identity(),
        lambda: relu_conv_bn(channels, channels, 1, 1),
        lambda: relu_conv_bn(channels, channels, 3, 1),
        lambda: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    ][digit]()


class Cell(nn.Module):
    def __init__(self, ops, channels):
        super().__init__()
        self.edges = nn.ModuleList(edge_op(int(d), channels) for d in ops)

    def forward(self, x):
        nodes = [x]
        for node in range(1, 4):
            nodes.append(sum(self.edges[e](nodes[src]) for e, (src, dst) in enumerate(EDGES) if dst == node))
        return nodes[-1]


class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = relu_conv_bn(c_in, c_out, 3, 2)
        self.conv_b = relu_conv_bn(c_out, c_out, 3, 1)
        self.downsample = nn.Sequential(OrderedDict(
            avg=nn.AvgPool2d(2, stride=2, padding=0),
            conv=nn.Conv2d(c_in, c_out, 1, bias=False),
        ))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Network(nn.Module):
    """Module paths equal LatencyNas's (stem.conv, cells.3.edges.2.conv, lastact.bn, classifier)."""

    def __init__(self, ops, in_channels, classes):
        super().__init__()
        self.stem = nn.Sequential(OrderedDict(
            conv=nn.Conv2d(in_channels, STAGE_CHANNELS[0], 3, padding=1, bias=False),
            bn=nn.BatchNorm2d(STAGE_CHANNELS[0]),
        ))
        cells = []
        for stage, channels in enumerate(STAGE_CHANNELS):
            if stage > 0:
                cells.append(ResidualBlock(STAGE_CHANNELS[stage - 1], channels))
            cells.extend(Cell(ops, channels) for _ in range(CELLS_PER_STAGE))
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(OrderedDict(bn=nn.BatchNorm2d(STAGE_CHANNELS[-1]), relu=nn.ReLU(inplace=False)))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(STAGE_CHANNELS[-1], classes)

    def forward(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        x = self.global_pooling(self.lastact(x))
        return self.classifier(x.view(x.size(0), -1))


def dims(value_info):
    return [d.dim_value for d in value_info.type.tensor_type.shape.dim]


def export(ops, ours_path, out_path):
    ours = onnx.load(ours_path)
    batch, in_channels, resolution, _ = dims(ours.graph.input[0])
    classes = dims(ours.graph.output[0])[1]
    torch.manual_seed(0)
    network = Network(ops, in_channels, classes)
    weights = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy()) for i in ours.graph.initializer}
    state = network.state_dict()
    for name in state:
        if name in weights:
            state[name] = weights[name]
        elif not name.endswith("num_batches_tracked") and ".edges." not in name:
            # Only a cell edge whose result reaches nothing may be missing from our export.
            raise SystemExit(f"{ours_path}: no initializer '{name}'")
    network.load_state_dict(state)
    network.eval()
    with torch.no_grad():
        torch.onnx.export(network, torch.zeros(batch, in_channels, resolution, resolution), out_path,
                          input_names=["input"], output_names=["logits"], opset_version=17)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as jobs:
        for line in jobs:
            if line.strip():
                ops, ours_path, out_path = line.rstrip("\n").split("\t")
                export(ops, ours_path, out_path)
                print(out_path, flush=True)


if __name__ == "__main__":
    main()
