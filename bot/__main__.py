"""`python -m bot` is the same as the `housebot` command."""

from bot.cli import main

raise SystemExit(main())
