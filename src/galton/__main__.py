"""``python -m galton`` runs the command line."""

from galton.cli import main

main()
