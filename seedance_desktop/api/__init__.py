"""The Modellix protocol: model specs as data, validation, the async client, errors, downloads.

No Qt here: this layer is shared by the desktop window and the command line.
"""
