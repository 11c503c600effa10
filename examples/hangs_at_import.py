"""Pathological: a loop at import that never ends (a training loop waiting for a condition)."""

loss = 1.0
while loss > 0:  # never false
    loss = abs(loss)
