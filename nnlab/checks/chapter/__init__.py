"""Checks of the tutorial chapter on ``nn.Module``: claims T1 to T20, on any implementation, one file per topic.

The files mirror ``nnlab/tutorial/``, topic for topic; each lists the roles (section ``chapter``, under the
chapter's names and signatures) its checks use:

- ``modules``: T1 to T5, the perceptron, parameters and buffers, train and eval, freezing, no bias (3.1, 3.2)
- ``common_layers``: T6 to T8, activations, dropout, batch normalisation (3.3)
- ``hooks``: T9, forward hooks and ``HookDemo`` (3.4)
- ``custom_layers``: T10 to T12, ``CustomLinear``, ``SimpleAttention``, ``StatefulLayer`` (3.5)
- ``initialisation``: T13, ``InitializationDemo`` and ``custom_init`` (3.6)
- ``architectures``: T14 and T15, ``MultiClassifier``, ``ResidualBlock``, the residual MLP (3.8)
- ``efficiency``: T16 to T18, a reused layer, gradient checkpointing, compilation and scripting (3.9)
- ``debugging``: T19 and T20, the debug model and weight histograms (3.10)

Saving and loading (3.7) is checked with report section 4 (``nnlab.checks.fileio``).

Much of what the chapter says is about torch itself (parameters and buffers, train and eval, activations,
dropout, batch normalisation, hooks): those are statements, checked against the installed torch. Layers are
found by the shapes of their parameters and by what they compute, never by attribute names; every expected
value comes from torch primitives or from the sizes the chapter states. Statistical checks say what they test
and how often a correct implementation fails them by chance (``nnlab.checks.sampling``).

``nnlab.checks.CHECK_FILES`` imports the topics in claim order, the order their checks register in.
"""
