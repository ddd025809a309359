"""cinder-scheduler: where a volume, snapshot or backup goes (``cinder/scheduler/``).

Modules, one concept each, named after Cinder's:

* ``manager``: the service; consumes the ``cinder-scheduler`` topic and narrates
  each decision (``backups`` picks a backup host, ``migration`` handles
  retype and migrate).
* ``filter_scheduler``: the FilterScheduler's pass (retry, filter, weigh, pin,
  consume), :class:`SchedulerConfig` and the :class:`SchedulingDecision` record
  (``decision``); ``recorded_pass`` is the create pass a full trace records.
* ``request_spec``: what is placed (``RequestSpec``, the retry record,
  ``filter_properties``).
* ``filters`` and ``weighers``: the built-in filters (with ``extra_specs_ops``)
  and weighers (with the weight handler), by Cinder's names.
* ``host_manager``: the per-pool state fed by capability reports and liveness.
* ``sched_utils``: the capacity arithmetic (capacity factors, virtual free
  capacity, max over-subscription ratio).
* ``placement``: an index that gives the FilterScheduler's choice without
  weighing every pool.
* ``shared_parts``: one JSON object for equal parts of consecutive decision
  records (a full trace keeps every one).

Host strings (``extract_host``/``append_host``) are shared with the other services
in :mod:`cindersim.services.volume_utils`.  May use: the kernel (bus, db, trace,
states), the quota engine, and cinder-volume only through its RPC topic.
"""
