"""Glance-lite: the image service Nova boots from and Cinder copies (``/image/v2``).

May use: the kernel and the block model of ``backends/blocks``; never Cinder's internals.
"""
