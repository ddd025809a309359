"""cinder-scheduler: where a volume, snapshot or backup goes (``cinder/scheduler/``).

``manager`` consumes the ``cinder-scheduler`` topic; ``filters`` and ``host_manager`` hold the
FilterScheduler's filters, weighers and pool state, ``placement`` an index that gives the same
choice without weighing every pool.  May use: the kernel (bus, db, trace, states), the quota
engine, and cinder-volume only through its RPC topic.
"""
