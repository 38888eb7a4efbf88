"""The exception family of the indicatori app; each also inherits the built-in it resembles.

The classes live next to the code that raises them (``queries.IndicatorError``,
``queries.UnknownIndicator``, ``atlas.UnknownArea``, ``declarations.DeclarationError``); every one is an
``IndicatoriError``."""


class IndicatoriError(Exception):
    """Root of every error the indicatori app raises on purpose; its message is for the user."""
