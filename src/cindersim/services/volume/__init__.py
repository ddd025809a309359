"""cinder-volume: one manager per enabled backend (``cinder/volume/manager.py``).

``manager`` consumes ``cinder-volume.<host>@<backend>`` and drives the backend's driver; each
other module is one flow of Cinder's volume manager (create, attach, snapshots, image, migrate).
May use: the kernel, the quota engine, ``backends/`` (its own driver), and other services only
through their RPC topics or API clients.
"""
