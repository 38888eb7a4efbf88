"""Errors of the incontri app: their message is translated and shown to the user as is."""


class IncontriError(Exception):
    pass
