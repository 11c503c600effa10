"""Pathological: runaway memory at import, which must stop at the submission's limit, not the machine's."""

chunks = []
while True:
    chunks.append(bytearray(2**26))  # 64 MiB at a time, kept forever
