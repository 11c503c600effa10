"""``nnlab check --adapter`` for d2l's PyTorch code as ``assemble_d2l.py`` writes it.

Binds nnlab's roles to the book's own names where the book has the role; every
other role is left out, so nnlab reports it ``missing``. What is not a plain
binding:

- ``textbook_init`` is the book's ``my_init`` (U(-10, 10), then 0 where |w| < 5);
  nnlab's ``my_init`` (1 / numel) has no equivalent in the book;
- ``xavier`` is the book's ``init_xavier``;
- ``chimera()`` and ``tied_net()`` give a deep copy of the book's own ``chimera``
  and tied ``net`` objects, re-initialised by each layer's ``reset_parameters()``
  as when the book's cell built them (the book builds each once, inline; the
  roles are factories; its cell then sets the tied weight's [0, 0] to 100, with
  which SGD at nnlab's lr 0.1 diverges). The tied net is ``net`` as parameters.md
  leaves it, read from ``documents/parameters.py`` since d2l-en's init-param.md
  rebinds ``net``;
- ``save_params(net, path)`` and ``load_params(net, path)`` wrap what the book's
  cells do inline: ``torch.save(net.state_dict(), ...)`` and
  ``clone.load_state_dict(torch.load(...))`` then ``clone.eval()``.
"""

import copy
from pathlib import Path
from types import SimpleNamespace

import torch

from nnlab.checks import Lab
from nnlab.checks.lab import import_file


def bound(module, **roles: str) -> SimpleNamespace:
    """The roles whose book name ``module`` defines: ``role=book_name``."""
    return SimpleNamespace(**{role: getattr(module, name) for role, name in roles.items() if hasattr(module, name)})


def copies(original):
    """A factory for a role the book builds once, inline: each call, a deep copy of the book's object, freshly
    initialised (a layer used twice is one module, reset once, and stays shared)."""

    def fresh():
        module = copy.deepcopy(original)
        for layer in module.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        return module

    return fresh


def save_params(net, path):
    torch.save(net.state_dict(), path)


def load_params(net, path):
    net.load_state_dict(torch.load(path))
    net.eval()


def lab(path: Path) -> Lab:
    path = Path(path)

    def load(file: str):
        return import_file(path / file, f"d2l_{path.name}_{file[:-3].replace('/', '_')}")

    book = {section: load(f"{section}.py") for section in ("blocks", "parameters", "layers", "fileio")}

    blocks = bound(
        book["blocks"], MLP="MLP", MySequential="MySequential", FixedHiddenMLP="FixedHiddenMLP", NestMLP="NestMLP"
    )
    if isinstance(getattr(book["blocks"], "chimera", None), torch.nn.Module):
        blocks.chimera = copies(book["blocks"].chimera)

    parameters = bound(
        book["parameters"],
        block1="block1",
        block2="block2",
        init_normal="init_normal",
        init_constant="init_constant",
        xavier="init_xavier",
        init_42="init_42",
        textbook_init="my_init",
    )
    tied = getattr(load("documents/parameters.py"), "net", None)
    if isinstance(tied, torch.nn.Sequential) and len(tied) > 4 and tied[2] is tied[4]:
        parameters.tied_net = copies(tied)

    layers = bound(book["layers"], CenteredLayer="CenteredLayer", MyLinear="MyLinear")

    fileio = SimpleNamespace()
    source = (path / "fileio.py").read_text(encoding="utf-8")
    if "torch.save(net.state_dict()" in source and "load_state_dict(torch.load(" in source:
        fileio.save_params, fileio.load_params = save_params, load_params

    return Lab(path.name, blocks=blocks, parameters=parameters, layers=layers, fileio=fileio)
