"""The tutorial chapter's code, as nnlab reproduces its documented behaviour.

The reference with the roles swapped where the chapter's code does otherwise.
"""

from nnlab.labs.reference import REFERENCE

CHAPTER = REFERENCE.replace("chapter")
