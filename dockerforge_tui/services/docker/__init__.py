"""The only package that talks to the Docker SDK: endpoints, connection, containers, stats, events.

Import the submodule you need (``dockerforge_tui.services.docker.connection``); nothing
is imported here, so loading the package does not load docker-py.
"""
