"""``python -m champion``: the command line."""

from champion._cli.main import main

main()
