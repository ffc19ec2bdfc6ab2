"""The command line: entry point, subcommand registry and the headless commands."""
