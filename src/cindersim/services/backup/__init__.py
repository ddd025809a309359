"""cinder-backup: chunked backups to an object store (``cinder/backup/manager.py``).

May use: the kernel, the quota engine, the backup driver in ``backends/drivers/`` and the object
store; it reaches volumes through cinder-volume's RPC, as Cinder's backup manager does.
"""
