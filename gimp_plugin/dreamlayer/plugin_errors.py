"""The one error the plug-in raises itself; GIMP shows its message to the artist as it is."""


class DreamError(Exception):
    """A dream could not be made; the message is for the artist and says what to do."""
