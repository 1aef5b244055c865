"""``python -m hpo.cli``, the same as the ``hpo`` command."""

from hpo.cli import main

main(prog_name="hpo")
