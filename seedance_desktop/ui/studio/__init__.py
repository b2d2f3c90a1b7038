"""The media studio's windows: trim and frame a reference clip, compare a result with its
reference, continue from a result. Qt faces over ``media.edit``, ``media.contact_sheet`` and
``core.continuation``; every decode runs in a worker (``studio.worker``)."""
