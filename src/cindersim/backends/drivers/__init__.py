"""Cinder's drivers over the simulated storage: the LVM volume driver, the chunked backup driver."""
