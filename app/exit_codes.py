"""The command line's exit statuses, which schedulers and CI read."""

EXIT_OK = 0
EXIT_PUSHED = EXIT_OK  # A model was pushed, or nothing changed since an earlier run.
EXIT_FAILED = 1
EXIT_BAD_DATA = 2
EXIT_BAD_OPTION = 2  # argparse's own status for a usage error; nothing ran.
EXIT_NOT_BLESSED = 3
EXIT_CANARY_FAILED = 4  # Blessed, but the staged version failed the canary: not published.
