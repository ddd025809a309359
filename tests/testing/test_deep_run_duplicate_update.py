"""Deep run 9's finding, replayed (issue 18): Nova's attach, whose attachment_update
call cinder-api sends is delivered twice; both copies reach cinder-volume (LIO) at
once, one copy's create_export fails while the other creates the target, the error
reply comes first, the attach fails and the volume goes back to 'available', and the
other copy's export stays.  At-least-once delivery with Cinder taking a call's first
reply: the machine accepts the target (a duplicated attachment_update whose caller
failed, as after a timeout).  The steps are the machine's replay, cut after the attach."""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from cindersim import Cloud, FaultRule, MessageFault, simulate
from cindersim.testing import exports_match_attachments

CONFIG = {'DEFAULT': {'enabled_backends': 'thin-1,thick-1', 'quota_volumes': 6, 'quota_gigabytes': 24, 'quota_snapshots': 4, 'quota_backups': 4}, 'thin-1': {'host': 'cinder-1', 'vg_size_gb': 12, 'lvm_type': 'thin', 'max_over_subscription_ratio': 1.5}, 'thick-1': {'host': 'cinder-2', 'vg_size_gb': 8, 'lvm_type': 'default', 'target_helper': 'lioadm'}}
VOLUME = "cffa6cdd-f963-47ef-a001-11e5d29dc5df"


async def scenario(cloud: Cloud) -> None:
    tokens = {u: cloud.token(u) for u in ('demo', 'alt_demo', 'admin')}
    await cloud.settle()
    await cloud.settle()
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 3}}, token=tokens['alt_demo'])
    cloud.scheduler.stop()
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/attachments', json={'attachment': {'volume_uuid': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'instance_uuid': '00000000-0000-4000-8000-000000000001', 'connector': {'initiator': 'iqn.1994-05.com.redhat:compute-1', 'ip': '192.168.122.20', 'host': 'compute-1', 'platform': 'x86_64', 'os_type': 'linux', 'multipath': False}}}, token=tokens['alt_demo'], headers={'OpenStack-API-Version': 'volume 3.44'})
    await cloud.request('DELETE', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd?cascade=true', token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/attachments', json={'attachment': {'volume_uuid': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'instance_uuid': '00000000-0000-4000-8000-000000000002', 'connector': {'initiator': 'iqn.1994-05.com.redhat:compute-1', 'ip': '192.168.122.20', 'host': 'compute-1', 'platform': 'x86_64', 'os_type': 'linux', 'multipath': False}}}, token=tokens['alt_demo'], headers={'OpenStack-API-Version': 'volume 3.44'})
    cloud.inject(FaultRule(op='backup', backend=None))
    cloud.scheduler.start()
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 2, 'source_volid': '468ff53d-864a-4a50-b48d-73f1d67e55fd'}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/attachments', json={'attachment': {'volume_uuid': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'instance_uuid': '00000000-0000-4000-8000-000000000003', 'connector': {'initiator': 'iqn.1994-05.com.redhat:compute-1', 'ip': '192.168.122.20', 'host': 'compute-1', 'platform': 'x86_64', 'os_type': 'linux', 'multipath': False}}}, token=tokens['alt_demo'], headers={'OpenStack-API-Version': 'volume 3.44'})
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-extend': {'new_size': 3}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='drop', method='delete_snapshot', times=2, delay=0.0))
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'imageRef': '12e0c8b2-bad6-40fb-9948-8dec4f65d4d9'}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 2}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 3, 'source_volid': '2f5a522a-f87f-43fd-b606-254131d0b664'}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/attachments', json={'attachment': {'volume_uuid': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'instance_uuid': '00000000-0000-4000-8000-000000000004', 'connector': {'initiator': 'iqn.1994-05.com.redhat:compute-1', 'ip': '192.168.122.20', 'host': 'compute-1', 'platform': 'x86_64', 'os_type': 'linux', 'multipath': False}}}, token=tokens['alt_demo'], headers={'OpenStack-API-Version': 'volume 3.44'})
    await cloud.request('POST', '/compute/v2.1/servers', json={'server': {'name': 'vm', 'flavorRef': '1', 'imageRef': '12e0c8b2-bad6-40fb-9948-8dec4f65d4d9'}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/attachments', json={'attachment': {'volume_uuid': '2f5a522a-f87f-43fd-b606-254131d0b664', 'instance_uuid': '00000000-0000-4000-8000-000000000005', 'connector': {'initiator': 'iqn.1994-05.com.redhat:compute-1', 'ip': '192.168.122.20', 'host': 'compute-1', 'platform': 'x86_64', 'os_type': 'linux', 'multipath': False}}}, token=tokens['demo'], headers={'OpenStack-API-Version': 'volume 3.44'})
    await cloud.settle()
    cloud.inject(FaultRule(op='backup', backend=None))
    await cloud.request('DELETE', '/compute/v2.1/servers/552116dd-2ba4-4180-8b69-ca385f3f5638/os-volume_attachments/2f5a522a-f87f-43fd-b606-254131d0b664', token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/snapshots', json={'snapshot': {'volume_id': '2f5a522a-f87f-43fd-b606-254131d0b664', 'force': True}}, token=tokens['demo'])
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes/2f5a522a-f87f-43fd-b606-254131d0b664/action', json={'os-extend': {'new_size': 4}}, token=tokens['demo'])
    await cloud.request('DELETE', '/v3/e443df789558467f9ba91faf7a024204/snapshots/98c75205-1e01-4934-802d-0baf878b9f6b', token=tokens['demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 1}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 2, 'source_volid': '468ff53d-864a-4a50-b48d-73f1d67e55fd'}}, token=tokens['alt_demo'])
    await cloud.request('DELETE', '/compute/v2.1/servers/6cf55b15-8b53-431d-85d5-1433ade9b2b4/os-volume_attachments/49b25ded-9c31-49b2-9a2b-745b7b59051b', token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/snapshots', json={'snapshot': {'volume_id': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'force': True}}, token=tokens['alt_demo'])
    await cloud.advance(1.0)
    await cloud.request('POST', '/v3/f7c1bd874da5470994713d60c8a70639/volumes/468ff53d-864a-4a50-b48d-73f1d67e55fd/action', json={'os-reset_status': {'status': 'available'}}, token=tokens['admin'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 3}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/snapshots', json={'snapshot': {'volume_id': '6b10e53a-9145-4e05-b3ab-1b2cdf26f517', 'force': True}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/6b10e53a-9145-4e05-b3ab-1b2cdf26f517/action', json={'os-extend': {'new_size': 5}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='duplicate', method='attachment_update', times=1, delay=0.0))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 3}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes', json={'volume': {'size': 1}}, token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='delay', method='delete_snapshot', times=1, delay=30.0))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/009a815b-c137-4be5-b7a2-8e0a03a89879/action', json={'os-extend': {'new_size': 3}}, token=tokens['alt_demo'])
    await cloud.request('DELETE', '/v3/e443df789558467f9ba91faf7a024204/volumes/2f5a522a-f87f-43fd-b606-254131d0b664?cascade=true', token=tokens['demo'])
    await cloud.request('DELETE', '/compute/v2.1/servers/552116dd-2ba4-4180-8b69-ca385f3f5638', token=tokens['demo'])
    await cloud.settle()
    await cloud.request('DELETE', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/6b10e53a-9145-4e05-b3ab-1b2cdf26f517', token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='delay', method='detach_volume', times=2, delay=30.0))
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/snapshots', json={'snapshot': {'volume_id': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'force': True}}, token=tokens['alt_demo'])
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/009a815b-c137-4be5-b7a2-8e0a03a89879/action', json={'os-extend': {'new_size': 3}}, token=tokens['alt_demo'])
    await cloud.settle()
    await cloud.advance(30.0)
    await cloud.request('POST', '/v3/23a7711a81334876b7ebdcd9e87a1613/attachments', json={'attachment': {'volume_uuid': '468ff53d-864a-4a50-b48d-73f1d67e55fd', 'instance_uuid': '00000000-0000-4000-8000-000000000006', 'connector': {'initiator': 'iqn.1994-05.com.redhat:compute-1', 'ip': '192.168.122.20', 'host': 'compute-1', 'platform': 'x86_64', 'os_type': 'linux', 'multipath': False}}}, token=tokens['alt_demo'], headers={'OpenStack-API-Version': 'volume 3.44'})
    cloud.inject(FaultRule(op='create_export', backend='cinder-2@thick-1'))
    await cloud.request('DELETE', '/v3/23a7711a81334876b7ebdcd9e87a1613/volumes/49b25ded-9c31-49b2-9a2b-745b7b59051b', token=tokens['alt_demo'])
    cloud.bus.faults.append(MessageFault(action='delay', method='terminate_instance', times=2, delay=30.0))
    await cloud.request('POST', '/v3/e443df789558467f9ba91faf7a024204/volumes', json={'volume': {'size': 1, 'source_volid': '2f5a522a-f87f-43fd-b606-254131d0b664'}}, token=tokens['demo'])
    await cloud.request('POST', '/compute/v2.1/servers/6cf55b15-8b53-431d-85d5-1433ade9b2b4/os-volume_attachments', json={'volumeAttachment': {'volumeId': '6b10e53a-9145-4e05-b3ab-1b2cdf26f517'}}, token=tokens['alt_demo'])
    await cloud.request('DELETE', '/compute/v2.1/servers/6cf55b15-8b53-431d-85d5-1433ade9b2b4/os-volume_attachments/6b10e53a-9145-4e05-b3ab-1b2cdf26f517', token=tokens['alt_demo'])
    await cloud.request('POST', '/compute/v2.1/servers/6cf55b15-8b53-431d-85d5-1433ade9b2b4/os-volume_attachments', json={'volumeAttachment': {'volumeId': 'cffa6cdd-f963-47ef-a001-11e5d29dc5df'}}, token=tokens['alt_demo'])
    await cloud.settle()


def test_a_duplicated_attachment_update_leaves_the_export_of_a_failed_attach() -> None:
    async def main(cloud: Cloud) -> Any:
        await scenario(cloud)
        duplicated = [e.detail.get("method") for e in cloud.trace.events
                      if e.kind == "bus.fault" and e.detail.get("action") == "duplicate"
                      and e.detail.get("method") == "attachment_update"]
        return (str(cloud.db.volumes[VOLUME].status), duplicated,
                exports_match_attachments(cloud),
                exports_match_attachments(cloud, lingering=[VOLUME]))

    status, duplicated, strict, lenient = simulate(main, seed=0, config=CONFIG).value
    assert (status, duplicated) == ("available", ["attachment_update"])
    assert strict == [f"cinder-2@thick-1: target iqn.2010-10.org.openstack:volume-{VOLUME} "
                      f"exists but volume {VOLUME[:8]} has no live attachment"]
    assert lenient == []
