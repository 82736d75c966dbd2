"""``python -m cli``: the ``shuzhen`` command from a checkout (the installed script imports the installed code)."""

from cli import main

main()
