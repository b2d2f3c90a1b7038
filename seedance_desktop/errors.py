"""The one error tree of Seedance Desktop.

Every failure a person may see is a :class:`SeedanceError`, and every one carries
``user_message``: what happened and what to do about it, in words a person reads (never the API
key or a signed query string). Both faces show ``user_message`` as it is; the command line maps
the class to an exit code in one table (``cli.errors.EXIT_CODES``). Catch at the level you care
about::

    SeedanceError
    ├── api.errors.ModellixError            talking to Modellix (the full subtree is in api/errors.py)
    │   ├── ApiError                        the server answered with an error (401, 402, 400, 404, 429, 5xx)
    │   ├── NetworkError > ConnectError     no usable answer / the request provably never left
    │   ├── ProtocolError                   a 2xx answer we cannot use
    │   ├── SubmitOutcomeUnknownError       a paid POST may have been accepted: never re-POST it
    │   ├── DownloadError                   a result file could not be fetched or verified
    │   ├── UploadCancelled
    │   └── ConfigurationError              bad base URL, missing or malformed key
    │       └── runtime.lock.EngineBusyError  another process runs the engine on this database
    ├── media.errors.MediaError             a local media file cannot be read, checked or converted
    │   └── MediaCancelled                  stopped on request (filmstrip, contact sheet), nothing partial left
    │       └── ConformCancelled
    ├── core.store.StoreError               the job database cannot be used
    │   ├── JobNotFound
    │   └── JobBusyError
    ├── core.secrets.SecretStoreError       the keyring or key file cannot be used
    ├── core.outputs.SidecarError           a recipe sidecar cannot be read or written
    ├── core.engine.actions.EngineError     an action the engine refuses for this job's state
    └── cli errors                          bad command-line input, a job that failed while waited for

Lower layers import this module and nothing else of ours comes with it: it is the foundation
every package may use.
"""

from __future__ import annotations


class SeedanceError(Exception):
    """Base of every error the app reports to a person."""

    #: What to tell the person, including what they can do about it.
    user_message: str = "Something went wrong."

    def __init__(self, message: str = "", *, user_message: str | None = None) -> None:
        super().__init__(message or user_message or self.user_message)
        if user_message is not None:
            self.user_message = user_message
        elif message:
            self.user_message = message


__all__ = ["SeedanceError"]
