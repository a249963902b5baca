"""On the Record: a Pelican plugin and tools for an archive of quoted statements."""

from pelican import signals


def register() -> None:
    from .generator import get_generators

    signals.get_generators.connect(get_generators)
