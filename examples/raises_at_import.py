"""Pathological: an exception at import, as when a script runs its experiment at the top level."""

import torch

weights = torch.load("weights.pt")  # a file only the student has: FileNotFoundError
