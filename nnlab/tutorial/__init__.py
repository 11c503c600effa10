"""The tutorial chapter on ``nn.Module`` (catalogue T1 to T20), one module per section of the chapter.

- ``modules``: the perceptron, parameters and buffers, train and eval (3.1, 3.2)
- ``common_layers``: activations, dropout, batch normalisation (3.3)
- ``hooks``: recording activations with forward hooks (3.4)
- ``custom_layers``: ``CustomLinear``, ``SimpleAttention``, ``StatefulLayer`` (3.5)
- ``initialisation``: initialisation schemes (3.6)
- ``architectures``: ``MultiClassifier``, ``ResidualBlock``, the residual MLP (3.8)
- ``efficiency``: a reused layer, gradient checkpointing, compilation (3.9)
- ``debugging``: the debug model and weight histograms (3.10)

Saving and loading (3.7) is ``nnlab.fileio``.
"""
