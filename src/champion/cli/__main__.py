"""``python -m champion.cli``."""

from champion.cli.main import main

main()
