"""The composition both faces share (no Qt): the job store, HTTP and Modellix clients and the
engine built together (``compose``), the demo simulator, the one-engine-per-database lock
(``lock``) and logging (``logs``). Only this package (and tests) may know the simulator exists."""
