"""iSCSI targets (tgt, LIO) and initiators, with CHAP and ACLs, as os-brick meets them."""
