"""Exports torchvision's resnet18 (random init, seed 0, eval mode) as TorchScript for the audit-scale benchmark.

Run from the repository root with Debian's PyTorch 1.13 (apt-get install python3-torch python3-torchvision):
    /usr/bin/python3 benchmarks/export_resnet18.py benchmarks/models/resnet18.pt
The output folder benchmarks/models/ is ignored by git: the 45 MB archive is made at benchmark time, never committed.
"""
import sys

import torch
import torchvision

path = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/models/resnet18.pt"
torch.manual_seed(0)
model = torchvision.models.resnet18().eval()
traced = torch.jit.trace(model, torch.rand(1, 3, 224, 224))
traced.save(path)
print(path)
