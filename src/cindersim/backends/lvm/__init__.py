"""LVM as Cinder's LVM driver drives it: a volume group, thick and thin LVs, snapshots."""
