"""dreamlayer: DeepDream for artists, as a local server, editor plugins and a command line."""

__version__ = "0.1.0"
