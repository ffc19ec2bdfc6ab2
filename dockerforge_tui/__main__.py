"""Allow ``python -m dockerforge_tui``."""

from dockerforge_tui.cli.main import main

raise SystemExit(main())
