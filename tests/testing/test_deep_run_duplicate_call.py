"""Deep run 6's finding, replayed (issue 18): two copies of cinder-backup's
initialize_connection reach cinder-volume at once (a 30 s delay, then a duplicate);
one copy's create_export fails while the other is creating the target, its error
reply comes first and fails the backup, and the other copy's export stays.  That is
at-least-once delivery with Cinder taking a call's first reply: the export invariant
flags the target, the machine's rule (a duplicated call whose caller failed, like a
timed-out one) accepts it.  The steps are the machine's replay, cut after the backup."""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from cindersim import Cloud, FaultRule, MessageFault, simulate
from cindersim.testing import exports_match_attachments

CONFIG = {'DEFAULT': {'enabled_backends': 'thin-1,thick-1', 'quota_volumes': 6, 'quota_gigabytes': 24, 'quota_snapshots': 4, 'quota_backups': 4}, 'thin-1': {'host': 'cinder-1', 'vg_size_gb': 12, 'lvm_type': 'thin', 'max_over_subscription_ratio': 1.5}, 'thick-1': {'host': 'cinder-2', 'vg_size_gb': 8, 'lvm_type': 'default', 'target_helper': 'lioadm'}}
VOLUME = "49b25ded-9c31-49b2-9a2b-745b7b59051b"


async def scenario(cloud: Cloud) -> None:
    tokens = {u: cloud.token(u) for u in ('demo', 'alt_demo', 'admin')}
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 3}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 4}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='duplicate', method='attachment_update', times=1, delay=0.0))
    await cloud.request('DELETE', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd', token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 4, 'source_volid': '468ff53d-864a-4a50-b48d-73f1d67e55fd'}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/backups', json={'backup': {'volume_id': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'incremental': True, 'force': False}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 4}}, token=tokens['alt_demo'])
    cloud.inject(FaultRule(op='create_snapshot', backend='cinder-1@thin-1'))
    cloud.bus.faults.append(MessageFault(action='duplicate', method='restore_backup', times=2, delay=0.0))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 5}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/backups', json={'backup': {'volume_id': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'incremental': False, 'force': False}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'block_device_mapping_v2': [{'boot_index': 0, 'uuid': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'source_type': 'volume', 'destination_type': 'volume', 'delete_on_termination': False}]}}, token=tokens['alt_demo'])
    await cloud.advance(30.0)
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'imageRef': '12e0c8b2-bad6-40fb-9948-8dec4f65d4d9'}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 4}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 2}}, token=tokens['demo'])
    cloud.inject(FaultRule(op='extend_volume', backend='cinder-1@thin-1'))
    await cloud.request('DELETE', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd', token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 2}}, token=tokens['demo'])
    await cloud.request('DELETE', '/v3/e443df789558467f9ba91faf7a024204/volumes/fcfcfa81-b306-4700-99d5-f97098b33c6e?cascade=true', token=tokens['demo'])
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'imageRef': '12e0c8b2-bad6-40fb-9948-8dec4f65d4d9'}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/backups', json={'backup': {'volume_id': '35e8579a-7aaf-4e89-9fb7-97fab7d6467b', 'incremental': False, 'force': True}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/backups', json={'backup': {'volume_id': 'fcfcfa81-b306-4700-99d5-f97098b33c6e', 'incremental': False, 'force': True}}, token=tokens['demo'])
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'block_device_mapping_v2': [{'boot_index': 0, 'uuid': 'fcfcfa81-b306-4700-99d5-f97098b33c6e', 'source_type': 'volume', 'destination_type': 'volume', 'delete_on_termination': False}]}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 2, 'source_volid': 'fcfcfa81-b306-4700-99d5-f97098b33c6e'}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 4}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='delay', method='initialize_connection', times=1, delay=30.0))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 2}}, token=tokens['alt_demo'])
    cloud.inject(FaultRule(op='backup', backend=None))
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'imageRef': '12e0c8b2-bad6-40fb-9948-8dec4f65d4d9'}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 3, 'source_volid': '468ff53d-864a-4a50-b48d-73f1d67e55fd'}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/backups', json={'backup': {'volume_id': 'fcfcfa81-b306-4700-99d5-f97098b33c6e', 'incremental': True, 'force': True}}, token=tokens['demo'])
    cloud.bus.faults.append(MessageFault(action='delay', method='create_snapshot', times=3, delay=30.0))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/backups', json={'backup': {'volume_id': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'incremental': False, 'force': False}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='drop', method='detach_volume', times=1, delay=0.0))
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes/35e8579a-7aaf-4e89-9fb7-97fab7d6467b/action', json={'os-extend': {'new_size': 4}}, token=tokens['demo'])
    cloud.inject(FaultRule(op='create_export', backend='cinder-1@thin-1'))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 4}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 4}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 1}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/49b25ded-9c31-49b2-9a2b-745b7b59051b/action', json={'os-extend': {'new_size': 3}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes/cf1da110-0cc3-4d8c-b786-3fe5d675ebf7/action', json={'os-extend': {'new_size': 3}}, token=tokens['demo'])
    cloud.bus.faults.append(MessageFault(action='duplicate', method='attach_volume', times=3, delay=0.0))
    await cloud.advance(1.0)
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 3}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 2, 'source_volid': '35e8579a-7aaf-4e89-9fb7-97fab7d6467b'}}, token=tokens['demo'])
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'imageRef': '12e0c8b2-bad6-40fb-9948-8dec4f65d4d9'}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 2, 'source_volid': '35e8579a-7aaf-4e89-9fb7-97fab7d6467b'}}, token=tokens['demo'])
    await cloud.request('DELETE', '/v3/e443df789558467f9ba91faf7a024204/volumes/14d30dbc-a0ac-44c9-a58d-e17eec3aa314?cascade=true', token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 2}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='duplicate', method='initialize_connection', times=1, delay=0.0))
    await cloud.advance(1.0)
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 1, 'source_volid': '468ff53d-864a-4a50-b48d-73f1d67e55fd'}}, token=tokens['alt_demo'])
    cloud.inject(FaultRule(op='extend_volume', backend='cinder-1@thin-1'))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/backups', json={'backup': {'volume_id': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'incremental': True, 'force': True}}, token=tokens['alt_demo'])
    await cloud.advance(30.0)
    await cloud.advance(1.0)
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 2}}, token=tokens['alt_demo'])
    await cloud.request('DELETE', '/v3/f7c1bd874da5470994713d60c8a70639/volumes/35e8579a-7aaf-4e89-9fb7-97fab7d6467b?force=true', token=tokens['admin'], headers={'OpenStack-API-Version': 'volume 3.23'})
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/backups', json={'backup': {'volume_id': '49b25ded-9c31-49b2-9a2b-745b7b59051b', 'incremental': False, 'force': True}}, token=tokens['alt_demo'])
    await cloud.settle()


def test_a_duplicated_initialize_connection_leaves_the_export_of_a_failed_backup() -> None:
    async def main(cloud: Cloud) -> Any:
        await scenario(cloud)
        backups = [(str(b.status), b.volume_id) for b in cloud.db.backups.values()
                   if b.volume_id == VOLUME]
        replies = [e for e in cloud.trace.events if e.kind == "bus.fault"
                   and e.detail.get("action") == "duplicate"
                   and e.detail.get("method") == "initialize_connection"]
        return (backups, len(replies), exports_match_attachments(cloud),
                exports_match_attachments(cloud, lingering=[VOLUME]))

    backups, replies, strict, lenient = simulate(main, seed=0, config=CONFIG).value
    assert backups == [("error", VOLUME)]
    assert replies == 1  # the machine's rule keys on this duplicated call
    assert strict == [f"cinder-1@thin-1: target iqn.2010-10.org.openstack:volume-{VOLUME} "
                      f"exists but volume {VOLUME[:8]} has no live attachment"]
    assert lenient == []
