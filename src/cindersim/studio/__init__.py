"""The learner's studio outside the renderers: terminal pacing (``--step``) and the
live viewer that ``cindersim serve`` mounts at ``/_sim/``.  The page itself and the
data it shows are built by :mod:`cindersim.render.studio` from the trace alone."""
