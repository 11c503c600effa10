"""``nnlab check``: the claim checks run on other people's labs, each in processes of its own.

- ``supervise``: one submission in a worker process under time, memory and output limits;
- ``worker``: the process itself, which loads the submission and runs the checks;
- ``guard``: what a submission changes in torch or nnlab while it loads is put back, and what it changes later
  is evidence of tampering;
- ``sandbox``: the bubblewrap sandbox a worker runs in where it works;
- ``reaper``: without the sandbox, what a worker started and left running is found, killed and reported;
- ``submission_report``, ``summary``, ``gradescope``: what is written for the student, the grader and Gradescope;
- ``batch``: many submissions side by side.
"""
