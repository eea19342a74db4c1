"""Time in tests: CI is a loaded 2-core machine, so no test may hinge on a few seconds of wall clock.

A test of a deadline uses a fault that lasts far longer than ``GENEROUS`` (a server that hangs until
teardown, a process that sleeps 600 s) and a deadline the code enforces that is much shorter; it asserts
the verdict and that it came back before ``GENEROUS``. A rule about time itself runs on an injected clock.
"""

GENEROUS = 60.0     # seconds: an upper bound no healthy run approaches, even beside four busy processes
HANG = 600.0        # seconds a simulated fault lasts: ten times GENEROUS, so only our deadline can end it
