"""DockerForge: a terminal dashboard and headless reporter for Docker hosts."""

__version__ = "0.1.0"
