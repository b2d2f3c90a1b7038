"""A local Modellix-compatible server: demo mode and the test double (no Qt).

It speaks exactly the protocol of ``SPEC-modellix.md`` (and nothing more), over real HTTP:

* ``server.py``   -- :class:`SimulatorConfig` and :class:`Simulator` (state, task creation, render
  scheduling; thread-safe ``inject(Fault)``, ``clear_faults()``, ``request_counts()``,
  ``reset_counts()``, ``tasks()``, ``task(id)``, ``files()``, ``render_count``).
* ``routes.py``   -- the endpoints of SPEC section 1 (+ fault application and Bearer auth).
* ``files.py``    -- signed, expiring result URLs and Range/ETag/If-Range file serving.
* ``validation.py`` -- request-body rules of SPEC section 2, written independently of ``api/``.
* ``state.py``    -- simulated clock, task and file records, request counters.
* ``render.py``   -- the PyAV render of the "generated" video, and its cache.
* ``faults.py``   -- :class:`Fault`, :class:`FaultKind`, ``Fault.parse`` (the ``--fault`` syntax).
* ``launcher.py`` -- :class:`SimulatorThread` (in-process, tests) and :class:`SimulatorProcess`
  (child process, demo mode).
* ``__main__.py`` -- ``python -m seedance_desktop.simulator --port 0``.

Nothing here is imported by ``api``/``core``/``media``; only the composition root and tests use it.
"""
