"""Implementations of the lab that the suite checks in every run.

- ``reference``: nnlab's own modules under the documents' names: the corrected lab.
- ``report_code``: the lab report's code, as nnlab reproduces its documented behaviour.
- ``chapter_code``: the tutorial chapter's code, likewise.

The reproductions are written in nnlab's words: each takes the reference and
swaps in the roles where the document's code behaves otherwise, so every
difference between a document and the reference is one named role.
"""

from nnlab.labs.chapter_code import CHAPTER
from nnlab.labs.reference import REFERENCE
from nnlab.labs.report_code import REPORT

# which document's code each claim family is about
DOCUMENT_OF_CLAIM = {"L": "report", "P": "report", "C": "report", "F": "report", "M": "report", "T": "chapter"}
LABS = {"nnlab": REFERENCE, "report": REPORT, "chapter": CHAPTER}

__all__ = ["CHAPTER", "DOCUMENT_OF_CLAIM", "LABS", "REFERENCE", "REPORT"]
